// Takes the certificates field out of a CMS SignedData (DER, or BER with indefinite lengths as gpgsm
// writes) and caches parsed certificates by their exact octets. The walker reads tags and lengths
// only, bounded by the input and a nesting limit; whatever it does not recognise is left to OpenSSL.
#include "crypto/cms_certificates.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <climits>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace mss::crypto::cms {
namespace {

constexpr int kMaxDepth = 16;
constexpr std::size_t kCacheSize = 256;
constexpr unsigned char kSequence = 0x30, kContextZero = 0xa0;
constexpr std::string_view kSignedDataOid("\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02", 11);

// One element: tag octet, where its content starts and how long it is (end-of-contents excluded).
struct Tlv {
    unsigned char tag;
    std::size_t start, content, content_len;
    bool indefinite;
    std::size_t end() const { return content + content_len + (indefinite ? 2 : 0); }
};

unsigned char octet(std::string_view d, std::size_t i) { return static_cast<unsigned char>(d[i]); }

std::optional<Tlv> read_tlv(std::string_view d, std::size_t pos, std::size_t limit, int depth);

// The content length of an indefinite-length element: its children up to the 00 00 octets.
std::optional<std::size_t> indefinite_length(std::string_view d, std::size_t content, std::size_t limit, int depth) {
    for (std::size_t p = content;;) {
        if (limit - p < 2) return std::nullopt;
        if (octet(d, p) == 0 && octet(d, p + 1) == 0) return p - content;
        auto child = read_tlv(d, p, limit, depth + 1);
        if (!child) return std::nullopt;
        p = child->end();
    }
}

std::optional<std::size_t> definite_length(std::string_view d, std::size_t& content, std::size_t limit) {
    unsigned char first = octet(d, content - 1);
    if (!(first & 0x80)) return first;
    std::size_t count = first & 0x7f;
    if (count == 0 || count > 4 || limit - content < count) return std::nullopt;
    std::size_t len = 0;
    for (std::size_t i = 0; i < count; ++i) len = (len << 8) | octet(d, content + i);
    content += count;
    return len;
}

std::optional<Tlv> read_tlv(std::string_view d, std::size_t pos, std::size_t limit, int depth) {
    if (depth > kMaxDepth || pos > limit || limit - pos < 2) return std::nullopt;
    unsigned char tag = octet(d, pos);
    if ((tag & 0x1f) == 0x1f) return std::nullopt;  // multi-octet tags: not in CMS's outer layers
    std::size_t content = pos + 2;
    if (octet(d, pos + 1) == 0x80) {
        if (!(tag & 0x20)) return std::nullopt;
        auto len = indefinite_length(d, content, limit, depth);
        if (!len) return std::nullopt;
        return Tlv{tag, pos, content, *len, true};
    }
    auto len = definite_length(d, content, limit);
    if (!len || *len > limit - content) return std::nullopt;
    return Tlv{tag, pos, content, *len, false};
}

std::optional<std::vector<Tlv>> children(std::string_view d, const Tlv& parent, int depth) {
    std::vector<Tlv> out;
    std::size_t limit = parent.content + parent.content_len;
    for (std::size_t p = parent.content; p < limit;) {
        auto child = read_tlv(d, p, limit, depth);
        if (!child) return std::nullopt;
        out.push_back(*child);
        p = child->end();
    }
    return out;
}

std::string_view whole(std::string_view d, const Tlv& t) { return d.substr(t.start, t.end() - t.start); }

// A header for content of len octets, in the same form (definite or not) as the original.
std::string wrap(unsigned char tag, bool indefinite, const std::string& content) {
    std::string out(1, static_cast<char>(tag));
    std::size_t len = content.size();
    if (indefinite) out += '\x80';
    else if (len < 0x80) out += static_cast<char>(len);
    else {
        std::string digits;
        for (; len; len >>= 8) digits.insert(digits.begin(), static_cast<char>(len & 0xff));
        out += static_cast<char>(0x80 | digits.size());
        out += digits;
    }
    out += content;
    if (indefinite) out.append(2, '\0');
    return out;
}

// ContentInfo { contentType id-signedData, [0] EXPLICIT SignedData }: the SignedData element.
std::optional<std::pair<Tlv, Tlv>> signed_data_of(std::string_view der, const Tlv& info) {
    auto parts = children(der, info, 1);
    if (!parts || parts->size() != 2 || whole(der, (*parts)[0]) != kSignedDataOid || (*parts)[1].tag != kContextZero)
        return std::nullopt;
    auto inner = children(der, (*parts)[1], 2);
    if (!inner || inner->size() != 1 || (*inner)[0].tag != kSequence) return std::nullopt;
    return std::pair{(*parts)[1], (*inner)[0]};
}

// Each certificate of the certificates field, all plain Certificate choices in DER.
std::optional<std::vector<std::string_view>> certificate_octets(std::string_view der, const Tlv& field) {
    auto certs = children(der, field, 4);
    if (!certs) return std::nullopt;
    std::vector<std::string_view> out;
    for (const auto& c : *certs) {
        if (c.tag != kSequence || c.indefinite) return std::nullopt;
        out.push_back(whole(der, c));
    }
    return out;
}

class Cache {
public:
    std::optional<ossl::Cert> find(std::string_view der) {
        std::lock_guard lock(mutex_);
        auto it = by_der_.find(std::string(der));
        if (it == by_der_.end()) return std::nullopt;
        return ossl::share(it->second.get());
    }
    void add(std::string_view der, X509* cert) {
        std::lock_guard lock(mutex_);
        std::string key(der);
        if (by_der_.count(key)) return;
        if (order_.size() == kCacheSize) {
            by_der_.erase(order_.front());
            order_.pop_front();
        }
        by_der_.emplace(key, ossl::share(cert));
        order_.push_back(std::move(key));
    }

private:
    std::mutex mutex_;
    std::unordered_map<std::string, ossl::Cert> by_der_;
    std::deque<std::string> order_;
};

}  // namespace

std::optional<SplitSignedData> split_certificates(std::string_view der) {
    auto info = read_tlv(der, 0, der.size(), 0);
    if (!info || info->tag != kSequence || info->end() != der.size()) return std::nullopt;
    auto found = signed_data_of(der, *info);
    if (!found) return std::nullopt;
    auto [explicit_tag, signed_data] = *found;
    auto fields = children(der, signed_data, 3);
    if (!fields) return std::nullopt;
    SplitSignedData out;
    std::string kept;
    bool had_certificates = false;
    for (const auto& f : *fields) {
        if (f.tag != kContextZero) {
            kept += whole(der, f);
            continue;
        }
        auto certs = certificate_octets(der, f);
        if (had_certificates || !certs) return std::nullopt;
        out.certificates = std::move(*certs);
        had_certificates = true;
    }
    if (!had_certificates) return std::nullopt;
    std::string content = std::string(kSignedDataOid) +
                          wrap(kContextZero, explicit_tag.indefinite, wrap(kSequence, signed_data.indefinite, kept));
    out.rest = wrap(kSequence, info->indefinite, content);
    return out;
}

Result<ossl::Cert> parse_certificate(std::string_view der) {
    static Cache cache;
    if (auto hit = cache.find(der)) return std::move(*hit);
    if (der.size() > LONG_MAX) return fail(ErrorKind::Invalid, "certificate too large");
    const auto* p = reinterpret_cast<const unsigned char*>(der.data());
    ossl::Cert cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
    if (!cert || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size())
        return ossl::openssl_failure(ErrorKind::Invalid, "malformed certificate in the CMS");
    cache.add(der, cert.get());
    return cert;
}

}  // namespace mss::crypto::cms
