// Password and certificate checks, all blocking (scrypt, SQLite): callers run them off the I/O threads.
#include "auth/credentials.h"

#include <fmt/format.h>

#include "crypto/password.h"

namespace mss::auth {
namespace {

// A hash of nothing anyone knows, verified when the account is unknown so failures cost the same.
const std::string& dummy_hash(int log_n) {
    static const std::string hash = [log_n] {
        auto h = crypto::hash_password("mssd timing equaliser", log_n);
        return h ? h.value() : std::string();
    }();
    return hash;
}

}  // namespace

PasswordHolder find_password_holder(store::Store& store, std::string_view user) {
    auto found = store.find_account(user);
    bool usable = found && !found->disabled && found->password_hash && found->kind != store::MailboxKind::Applicative;
    if (!usable) return {};
    return {std::move(found).value()};
}

bool password_matches(const PasswordHolder& holder, std::string_view password, int scrypt_log_n) {
    bool match = crypto::verify_password(password, holder.account ? *holder.account->password_hash
                                                                   : dummy_hash(scrypt_log_n));
    return holder.account && match;
}

CertificateIdentity identify_certificate(store::Store& store, const tls::PeerCertificate& peer) {
    if (!peer.presented) return {std::nullopt, "no client certificate"};
    if (!peer.verified)
        return {std::nullopt, fmt::format("client certificate refused, {}: {}", peer.reason, peer.verify_error)};
    auto account = store.find_account_by_cert(peer.sha256_hex);
    if (!account || account->kind != store::MailboxKind::Applicative)
        return {std::nullopt, "client certificate not registered to an applicative mailbox"};
    if (account->disabled) return {std::nullopt, "the certificate's mailbox is disabled"};
    return {std::move(account).value(), {}};
}

}  // namespace mss::auth
