// With response_parser.cpp, the only translation units that include Boost.Beast (its compile cost
// is paid there only). Beast frames the request (request line, fields, Content-Length or chunked
// body, limits); the checks it leaves to applications are ours: one Content-Length, Transfer-Encoding exactly "chunked" and never
// beside Content-Length, no obs-fold, one Host (required in HTTP/1.1), Expect, the request-target.
#include "http/parse/request_parser.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <cctype>

#include "core/text.h"

namespace mss::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The transfer codings of a Transfer-Encoding value, lower case, in order.
std::vector<std::string> codings(std::string_view value) {
    std::vector<std::string> out;
    while (!value.empty()) {
        auto comma = value.find(',');
        auto item = trim(value.substr(0, comma));
        if (!item.empty()) out.push_back(ascii_lower(item.substr(0, item.find(';'))));
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
    return out;
}

// "HTTP/" DIGIT "." DIGIT after method SP target SP, naming a version we do not speak (a refusal of
// HTTP/1.1 is about something else: its line ending, say). Beast reads
// those eight octets whole before it refuses a version, so they are there when we look.
bool names_a_version(std::string_view bytes) {
    auto first = bytes.find(' ');
    auto second = first == std::string_view::npos ? first : bytes.find(' ', first + 1);
    if (second == std::string_view::npos) return false;
    auto v = bytes.substr(second + 1, 8);
    return v.size() == 8 && v.substr(0, 5) == "HTTP/" && std::isdigit(static_cast<unsigned char>(v[5])) &&
           v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7])) && v != "HTTP/1.1" && v != "HTTP/1.0";
}

// Beast's error as our status; rest is what the failing put was given (the request line first, if unread).
ParseError refusal(const beast::error_code& ec, bool seen_request_line, std::string_view rest) {
    if (ec == bhttp::error::header_limit)
        return seen_request_line ? ParseError{431, "header section too large"} : ParseError{414, "request line too long"};
    if (ec == bhttp::error::bad_version && !seen_request_line && names_a_version(rest))
        return ParseError{505, "HTTP version not supported"};
    if (ec == bhttp::error::body_limit) return ParseError{413, "body too large"};
    if (ec == bhttp::error::bad_content_length) return ParseError{400, "invalid or conflicting Content-Length"};
    if (ec == bhttp::error::bad_transfer_encoding)
        return ParseError{400, "invalid or conflicting Transfer-Encoding"};
    return ParseError{400, "malformed request: " + ec.message()};
}

}  // namespace

class RequestParser::Impl final : public bhttp::basic_parser<true> {
public:
    explicit Impl(const ParseLimits& limits) : limits_(limits) {
        // Beast counts its header limit from where each call starts parsing, so how a header was cut
        // changes what it lets through; our bound (header_bytes) is exact, Beast's is a backstop
        // on buffering set beyond it.
        header_limit(static_cast<std::uint32_t>(limits.max_header + limits.max_request_line + 4));
        body_limit(limits.max_body);
        eager(false);
    }

    Request request;
    std::optional<ParseError> error;
    bool expect_continue = false;
    bool seen_request_line = false;
    bool seen_body = false;
    std::size_t header_bytes = 0;  // of the request line and fields taken so far

    // Whether a header section still arriving in unread can end within max_header.
    bool header_may_fit(std::string_view unread) const {
        std::size_t room = limits_.max_header > header_bytes ? limits_.max_header - header_bytes : 0;
        if (unread.size() <= room) return true;
        if (header_bytes > 0 && unread.substr(0, 2) == "\r\n") return true;  // the empty line ending it
        return unread.substr(0, room).find("\r\n\r\n") != std::string_view::npos;
    }

    // Obs-fold (RFC 9112 section 5.2): a field line starting with a space or tab. prev_ is the byte
    // before this piece of the header section, so a fold cut between two pieces is still seen.
    void scan_header(std::string_view piece) {
        for (char c : piece) {
            if (prev_ == '\n' && (c == ' ' || c == '\t')) obs_fold_ = true;
            prev_ = c;
        }
    }
    bool obs_fold() const { return obs_fold_; }
    const ParseLimits& limits() const { return limits_; }

    void refuse(int status, std::string reason, beast::error_code& ec) {
        if (!error) error = ParseError{status, std::move(reason)};
        ec = bhttp::error::bad_value;
    }

private:
    void on_request_impl(bhttp::verb, beast::string_view method, beast::string_view target, int version,
                         beast::error_code& ec) override {
        seen_request_line = true;
        // method SP target SP HTTP/x.y CRLF
        if (method.size() + target.size() + 12 > limits_.max_request_line)
            return refuse(414, "request line too long", ec);
        request.method.assign(method.data(), method.size());
        request.target.assign(target.data(), target.size());
        request.version = version;
    }

    void on_response_impl(int, beast::string_view, int, beast::error_code& ec) override {
        ec = bhttp::error::bad_version;
    }

    void on_field_impl(bhttp::field name, beast::string_view name_text, beast::string_view value,
                       beast::error_code& ec) override {
        if (header_done_) return;  // trailer fields are not merged into the header (RFC 9110 section 6.5.1)
        std::string_view v(value.data(), value.size());
        switch (name) {
            case bhttp::field::content_length:
                if (++content_lengths_ > 1) return refuse(400, "duplicate Content-Length", ec);
                if (v.find(',') != std::string_view::npos) return refuse(400, "Content-Length list", ec);
                if (transfer_encoding_) return refuse(400, "Content-Length with Transfer-Encoding", ec);
                break;
            case bhttp::field::transfer_encoding: {
                if (transfer_encoding_) return refuse(400, "duplicate Transfer-Encoding", ec);
                if (content_lengths_) return refuse(400, "Transfer-Encoding with Content-Length", ec);
                transfer_encoding_ = true;
                auto list = codings(v);
                if (list.empty() || list.back() != "chunked")
                    return refuse(400, "chunked is not the final transfer coding", ec);
                if (list.size() > 1) return refuse(501, "transfer coding not implemented", ec);
                break;
            }
            case bhttp::field::host:
                if (++hosts_ > 1) return refuse(400, "duplicate Host", ec);
                break;
            case bhttp::field::expect:
                if (ascii_lower(v) != "100-continue") return refuse(417, "unknown expectation", ec);
                expect_continue = true;
                break;
            default:
                break;
        }
        request.fields.push_back({std::string(name_text.data(), name_text.size()), std::string(v)});
    }

    void on_header_impl(beast::error_code& ec) override {
        header_done_ = true;
        if (request.version != 10 && request.version != 11) return refuse(505, "HTTP version not supported", ec);
        if (request.version == 11 && hosts_ == 0) return refuse(400, "no Host field", ec);
        if (!split_target()) return refuse(400, "malformed request-target", ec);
    }

    // origin-form "/path?query", absolute-form "https://host/path?query", or "*" for OPTIONS.
    bool split_target() {
        std::string_view t = request.target;
        if (t == "*") {
            request.path = "*";
            return request.method == "OPTIONS";
        }
        if (auto scheme = t.find("://"); t.front() != '/' && scheme != std::string_view::npos) {
            auto slash = t.find('/', scheme + 3);
            t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
        }
        if (t.empty() || t.front() != '/') return false;
        auto q = t.find('?');
        auto path = percent_decode(t.substr(0, q), false);
        if (!path) return false;
        request.path = std::move(*path);
        if (q != std::string_view::npos) request.query = std::string(t.substr(q + 1));
        return true;
    }

    void on_body_init_impl(boost::optional<std::uint64_t> const&, beast::error_code&) override {}

    std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
        seen_body = true;
        request.body.append(body.data(), body.size());
        return body.size();
    }

    void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override { seen_body = true; }

    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
        request.body.append(body.data(), body.size());
        return body.size();
    }

    void on_finish_impl(beast::error_code&) override {}

    ParseLimits limits_;
    unsigned content_lengths_ = 0;
    unsigned hosts_ = 0;
    bool transfer_encoding_ = false;
    bool header_done_ = false;
    bool obs_fold_ = false;
    char prev_ = '\n';
};

RequestParser::RequestParser(const ParseLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}
RequestParser::~RequestParser() = default;

std::size_t RequestParser::feed(std::string_view bytes) {
    auto& p = *impl_;
    std::size_t used = 0;
    while (!p.is_done() && !p.error && used < bytes.size()) {
        std::string_view rest = bytes.substr(used);
        bool in_header = !p.is_header_done();
        beast::error_code ec;
        std::size_t n = p.put(boost::asio::const_buffer(rest.data(), rest.size()), ec);
        if (in_header) {
            p.scan_header(rest.substr(0, n));
            p.header_bytes += n;
        }
        used += n;
        if (ec == bhttp::error::need_more) {
            // Beast waits for a whole header section; a request line alone may not grow past its own bound.
            std::size_t bound = p.limits().max_request_line;
            if (!p.seen_request_line && rest.size() > bound && rest.substr(0, bound).find('\n') == std::string_view::npos)
                p.error = ParseError{414, "request line too long"};
            else if (!p.is_header_done() && !p.header_may_fit(rest.substr(n)))
                p.error = ParseError{431, "header section too large"};
            break;
        }
        if (ec) {
            if (!p.error) p.error = refusal(ec, p.seen_request_line, rest);
            break;
        }
        if (in_header && p.is_header_done() && p.header_bytes > p.limits().max_header) {
            p.error = ParseError{431, "header section too large"};
            break;
        }
        if (in_header && p.is_header_done() && p.obs_fold()) {
            p.error = ParseError{400, "obsolete line folding in the header"};
            break;
        }
        if (n == 0) break;
    }
    return used;
}

bool RequestParser::started() const { return impl_->got_some(); }
bool RequestParser::header_done() const { return impl_->is_header_done() && !impl_->error; }
bool RequestParser::complete() const { return impl_->is_done() && !impl_->error; }
const std::optional<ParseError>& RequestParser::error() const { return impl_->error; }
bool RequestParser::expects_continue() const { return header_done() && impl_->expect_continue && !impl_->seen_body && !complete(); }
bool RequestParser::keep_alive() const { return impl_->keep_alive(); }
Request RequestParser::take() { return std::move(impl_->request); }

}  // namespace mss::http
