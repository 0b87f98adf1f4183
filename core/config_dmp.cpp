// Reads [dmp]: professional_cas lists subject DNs (RFC 2253, as OpenSSL prints them: they hold '=')
// or PEM files of CA certificates (every certificate's subject counts). Without the key, this
// instance's own test IGC PERSONNES authority (pki/personnes.crt) alone, when it exists.
#include "core/config_dmp.h"

#include <fmt/format.h>

#include "core/config_toml.h"
#include "core/tls.h"

namespace mss {
namespace {

std::filesystem::path under(const std::filesystem::path& dir, const std::string& p) {
    std::filesystem::path path(p);
    return path.is_absolute() ? path : dir / path;
}

Status add_authority(const std::string& entry, const std::filesystem::path& dir, DmpConfig& out) {
    if (entry.find('=') != std::string::npos) {
        out.professional_cas.push_back(entry);
        return Ok{};
    }
    auto subjects = tls::certificate_subjects(under(dir, entry).string());
    if (!subjects) return fail(ErrorKind::Invalid, "dmp.professional_cas: " + subjects.error().message);
    for (auto& s : *subjects) out.professional_cas.push_back(std::move(s));
    return Ok{};
}

}  // namespace

Status read_dmp_config(const toml::table* t, const std::filesystem::path& dir, DmpConfig& out) {
    out.professional_cas.clear();
    out.filing_remote.clear();
    if (auto s = t ? check_known(*t, {"professional_cas", "filing_remote"}, "dmp.") : Status{Ok{}}; !s) return s;
    if (t && (*t)["filing_remote"]) {
        auto url = (*t)["filing_remote"].value<std::string>();
        if (!url || url->rfind("https://", 0) != 0)
            return fail(ErrorKind::Invalid, "dmp.filing_remote must be an https:// URL");
        out.filing_remote = *url;
    }
    if (!t || !(*t)["professional_cas"]) {
        std::error_code ec;
        auto own = dir / "pki" / "personnes.crt";
        if (std::filesystem::exists(own, ec)) return add_authority(own.string(), dir, out);
        return Ok{};
    }
    auto* list = (*t)["professional_cas"].as_array();
    if (!list) return fail(ErrorKind::Invalid, "dmp.professional_cas must be a list of subject DNs or CA files");
    for (auto& node : *list) {
        auto v = node.value<std::string>();
        if (!v || v->empty())
            return fail(ErrorKind::Invalid, "dmp.professional_cas must be a list of subject DNs or CA files");
        if (auto s = add_authority(*v, dir, out); !s) return s;
    }
    return Ok{};
}

}  // namespace mss
