// libFuzzer target: the PDSm request readers on arbitrary bytes: the ITI-65 Bundle and the JSON
// Patch readers (each input read both ways, within small bounds so that the fuzzer reaches the
// limits too; an ITI-65 Bundle's SubmissionSet fields no larger than the body), and who a request names: the input split at its first two NULs into a certificate
// subject, its issuer and an Authorization value. Traps when a reader breaks its own promises.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "dmp/pdsm_identity.h"
#include "dmp/pdsm_request.h"

namespace {

std::string_view next_field(std::string_view& rest) {
    auto nul = rest.find('\0');
    auto field = rest.substr(0, nul);
    rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    return field;
}

void check_identity(std::string_view input) {
    auto subject = next_field(input);
    auto issuer = next_field(input);
    auto authorization = input;
    auto actor = mss::dmp::actor_of_certificate(true, subject, issuer, {std::string(issuer)});
    if (!actor) std::abort();
    if (actor->kind == mss::dmp::Actor::Kind::Professional) {
        // a PS_IdNat: 12 characters starting with 8, or 10 starting with 0, letters and digits only
        const auto& id = actor->id;
        bool shaped = (id.size() == 12 && id[0] == '8') || (id.size() == 10 && id[0] == '0');
        for (char c : id) shaped = shaped && std::isalnum(static_cast<unsigned char>(c));
        if (!shaped || subject.find(id) == std::string_view::npos) std::abort();
    } else if (actor->id != subject) {
        std::abort();
    }
    if (mss::dmp::actor_of_certificate(false, subject, issuer, {std::string(issuer)})) std::abort();
    if (auto token = mss::dmp::bearer_token(authorization)) {
        // the rest of the field after "Bearer" and its spaces
        if (!authorization.ends_with(*token) || token->size() + 7 > authorization.size()) std::abort();
        if (!token->empty() && token->front() == ' ') std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    mss::dmp::RequestLimits limits;
    limits.max_body = 64 * 1024;
    limits.max_entries = 8;
    limits.max_documents = 4;
    auto bundle = mss::dmp::parse_provide_bundle(body, limits);
    if (auto* b = std::get_if<mss::dmp::ProvideBundle>(&bundle)) {
        // the SubmissionSet's fields are read from the body, never made up, and hold no documents yet
        const auto& list = b->list;
        for (const auto* field : {&list.unique_id, &list.source_id, &list.date, &list.title, &list.author})
            if (field->size() > body.size()) std::abort();
        if (!list.documents.empty() || !list.id.empty() || list.status != "current") std::abort();
        if (b->deposits.empty() || b->deposits.size() > limits.max_documents) std::abort();
    }
    (void)mss::dmp::parse_metadata_patch(body, limits);
    check_identity(body);
    return 0;
}
