// Who is at the other end: a password checked against the stored scrypt hash, or a verified client
// certificate registered to an applicative mailbox. Shared by SMTP AUTH and IMAP LOGIN/AUTHENTICATE
// so both protocols grant exactly the same. Trusts the store; the TLS layer's verification verdict.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/tls.h"
#include "store/store.h"

namespace mss::auth {

// The two halves of a password check, run on different pools (auth/guard.h): the look-up on the
// store's, the KDF on the guard's. `account` is set only when the mailbox may sign in with a password
// (personal, enabled, one set); otherwise the KDF still runs, on a dummy hash, so that timing does not
// tell which addresses exist.
struct PasswordHolder {
    std::optional<store::Account> account;
};
PasswordHolder find_password_holder(store::Store& store, std::string_view user);
bool password_matches(const PasswordHolder& holder, std::string_view password, int scrypt_log_n);

// The applicative mailbox a verified client certificate is registered to, or why there is none (an
// expired, revoked or untrusted certificate: its reason word, "client certificate refused, revoked: ...").
struct CertificateIdentity {
    std::optional<store::Account> account;
    std::string refusal;  // for the log when account is empty
};
CertificateIdentity identify_certificate(store::Store& store, const tls::PeerCertificate& peer);

}  // namespace mss::auth
