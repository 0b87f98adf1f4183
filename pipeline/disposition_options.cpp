// RFC 8098 2.2's grammar with RFC 2045 tokens for attributes and RFC 5322 words for values.
#include "pipeline/disposition_options.h"

#include <optional>

#include "core/text.h"

namespace mss::pipeline {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 2045 token characters (also covers RFC 5322 atext for the values Direct uses).
bool token_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
    return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

class Reader {
public:
    explicit Reader(std::string_view text) : text_(text) {}

    void skip_space() {
        while (pos_ < text_.size() && space(text_[pos_])) ++pos_;
    }
    bool at_end() const { return pos_ == text_.size(); }
    bool take(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) return ++pos_, true;
        return false;
    }
    std::string token() {
        skip_space();
        std::size_t start = pos_;
        while (pos_ < text_.size() && token_char(text_[pos_])) ++pos_;
        return std::string(text_.substr(start, pos_ - start));
    }
    // A token or a quoted string (its escapes resolved); nullopt when neither or unterminated.
    std::optional<std::string> word() {
        skip_space();
        if (pos_ >= text_.size() || text_[pos_] != '"') {
            std::string t = token();
            return t.empty() ? std::nullopt : std::optional<std::string>(std::move(t));
        }
        std::string out;
        for (++pos_; pos_ < text_.size(); ++pos_) {
            char c = text_[pos_];
            if (c == '"') return ++pos_, std::optional<std::string>(std::move(out));
            if (c == '\\' && ++pos_ == text_.size()) break;
            out += text_[pos_];
        }
        return std::nullopt;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

Error invalid(std::string why) { return fail(ErrorKind::Invalid, "Disposition-Notification-Options: " + why); }

Result<DispositionOption> parameter(Reader& in) {
    DispositionOption option;
    option.attribute = in.token();
    if (option.attribute.empty()) return invalid("a parameter needs an attribute");
    if (!in.take('=')) return invalid("'=' expected after " + option.attribute);
    std::string importance = ascii_lower(in.token());
    if (importance != "required" && importance != "optional") return invalid("importance must be required or optional");
    option.required = importance == "required";
    while (in.take(',')) {
        if (option.values.size() == kMaxDispositionOptionValues) return invalid("too many values");
        auto value = in.word();
        if (!value) return invalid("a value expected after ','");
        option.values.push_back(std::move(*value));
    }
    if (option.values.empty()) return invalid("a parameter needs at least one value");
    return option;
}

}  // namespace

Result<std::vector<DispositionOption>> parse_disposition_options(std::string_view value) {
    if (value.size() > kMaxDispositionOptionsValue) return invalid("value too long");
    Reader in(value);
    std::vector<DispositionOption> options;
    do {
        if (options.size() == kMaxDispositionOptions) return invalid("too many parameters");
        auto option = parameter(in);
        if (!option) return option.error();
        for (const auto& seen : options)
            if (ascii_lower(seen.attribute) == ascii_lower(option->attribute))
                return invalid("attribute given twice: " + option->attribute);
        options.push_back(std::move(*option));
    } while (in.take(';'));
    in.skip_space();
    if (!in.at_end()) return invalid("unexpected text after the parameters");
    return options;
}

bool asks_final_destination_delivery(const std::vector<DispositionOption>& options) {
    for (const auto& o : options)
        if (ascii_lower(o.attribute) == "x-direct-final-destination-delivery")
            return !o.values.empty() && ascii_lower(o.values.front()) == "true";
    return false;
}

}  // namespace mss::pipeline
