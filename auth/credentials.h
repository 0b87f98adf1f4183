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

// The account if the password is right and the mailbox may sign in with one (personal, enabled);
// the KDF is paid even for unknown users, so timing does not tell which addresses exist.
std::optional<store::Account> check_password(store::Store& store, std::string_view user, std::string_view password,
                                             int scrypt_log_n);

// The applicative mailbox a verified client certificate is registered to, or why there is none (an
// expired, revoked or untrusted certificate: its reason word, "client certificate refused, revoked: ...").
struct CertificateIdentity {
    std::optional<store::Account> account;
    std::string refusal;  // for the log when account is empty
};
CertificateIdentity identify_certificate(store::Store& store, const tls::PeerCertificate& peer);

}  // namespace mss::auth
