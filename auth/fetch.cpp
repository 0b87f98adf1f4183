// libcurl (Debian's libcurl4-gnutls-dev): one easy handle per request, https only, no redirects,
// the peer's certificate and name verified, the answer cut off past max_body.
#include "auth/fetch.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <memory>

namespace mss::auth {
namespace {

struct EasyFree {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct ListFree {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Sink {
    std::string body;
    std::size_t max;
    bool too_long = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
    auto* sink = static_cast<Sink*>(user);
    std::size_t n = size * count;
    if (sink->body.size() + n > sink->max) {
        sink->too_long = true;
        return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
    }
    sink->body.append(data, n);
    return n;
}

// curl_global_init must run once before any handle is made; a function-local static does it once.
void global_init() {
    static const bool done = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    (void)done;
}

}  // namespace

std::string form_escape(std::string_view value) {
    std::string out;
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') out += char(c);
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

Result<std::string> https_fetch(const HttpsRequest& r) {
    if (!r.url.starts_with("https://")) return fail(ErrorKind::Invalid, "not an https URL");
    global_init();
    std::unique_ptr<CURL, EasyFree> easy(curl_easy_init());
    if (!easy) return fail(ErrorKind::Io, "curl_easy_init failed");
    CURL* c = easy.get();
    Sink sink{{}, r.max_body};
    char error[CURL_ERROR_SIZE] = "";
    std::unique_ptr<curl_slist, ListFree> headers(curl_slist_append(nullptr, "Accept: application/json"));
    curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, long(r.timeout.count()));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!r.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, r.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    if (r.form) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.form->c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, long(r.form->size()));
    }
    if (!r.user.empty()) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, r.user.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, r.password.c_str());
    }
    CURLcode code = curl_easy_perform(c);
    if (sink.too_long) return fail(ErrorKind::Io, fmt::format("answer longer than {} octets", r.max_body));
    if (code != CURLE_OK)
        return fail(ErrorKind::Io, fmt::format("{}", *error ? error : curl_easy_strerror(code)));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) return fail(ErrorKind::Io, fmt::format("HTTP status {}", status));
    return std::move(sink.body);
}

}  // namespace mss::auth
