// Top-level header scanning (our own, bounded) and whole-message MIME parsing through libetpan.
#include "mime/message.h"

#include <libetpan/libetpan.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace mss::mime {
namespace {

std::size_t header_end(std::string_view m) {
    if (m.substr(0, 2) == "\r\n") return 2;
    if (m.substr(0, 1) == "\n") return 1;
    auto crlf = m.find("\r\n\r\n");
    auto lf = m.find("\n\n");
    if (crlf == std::string_view::npos && lf == std::string_view::npos) return m.size();
    if (lf == std::string_view::npos || (crlf != std::string_view::npos && crlf < lf)) return crlf + 4;
    return lf + 2;
}

struct Walk {
    const MessageLimits& limits;
    std::size_t leaves = 0;
    int deepest = 0;
    bool over = false;

    void visit(struct mailmime* mime, int depth) {
        if (!mime || over) return;
        deepest = std::max(deepest, depth);
        if (depth > limits.max_depth) {
            over = true;
            return;
        }
        switch (mime->mm_type) {
            case MAILMIME_SINGLE:
                if (++leaves > limits.max_parts) over = true;
                break;
            case MAILMIME_MULTIPLE:
                for (clistiter* it = clist_begin(mime->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
                    visit(static_cast<struct mailmime*>(clist_content(it)), depth + 1);
                break;
            case MAILMIME_MESSAGE:
                visit(mime->mm_data.mm_message.mm_msg_mime, depth + 1);
                break;
        }
    }
};

// The fields of the top-level header whose name keep() accepts, at most max_fields of them;
// continuation lines are unfolded into the field they continue, and never start one.
template <class Keep>
std::vector<HeaderField> scan_fields(std::string_view message, std::size_t max_fields, Keep keep) {
    std::string_view header = message.substr(0, header_end(message));
    std::vector<HeaderField> out;
    bool kept = false;  // the last field was kept: its continuation lines are its own
    std::size_t p = 0;
    while (p < header.size()) {
        auto e = header.find('\n', p);
        std::string_view line = header.substr(p, e == std::string_view::npos ? std::string_view::npos : e - p);
        p = e == std::string_view::npos ? header.size() : e + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) break;
        if (line.front() == ' ' || line.front() == '\t') {
            if (kept) out.back().value += std::string(line);  // unfold: CRLF removed, the WSP kept
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) continue;
        std::string_view name = line.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
        kept = keep(name);
        if (!kept) continue;
        if (out.size() == max_fields) break;  // the last one kept has had its continuation lines
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        out.push_back({std::string(name), std::string(value)});
    }
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::vector<HeaderField> header_fields(std::string_view message, std::size_t max_fields) {
    return scan_fields(message, max_fields, [](std::string_view) { return true; });
}

std::vector<HeaderField> fields_named(std::string_view message, std::string_view name, std::size_t max_fields) {
    return scan_fields(message, max_fields, [name](std::string_view field) { return iequals(field, name); });
}

std::string decode_header_text(std::string_view raw) {
    std::string input(raw);
    size_t index = 0;
    char* decoded = nullptr;
    if (mailmime_encoded_phrase_parse("us-ascii", input.c_str(), input.size(), &index, "utf-8", &decoded) !=
            MAILIMF_NO_ERROR ||
        !decoded)
        return input;
    std::string out(decoded);
    std::free(decoded);
    return out;
}

Result<MessageInfo> parse_message(std::string_view message, const MessageLimits& limits) {
    if (message.size() > limits.max_size) return fail(ErrorKind::Invalid, "message over the size limit");
    MessageInfo info;
    info.header_size = header_end(message);
    for (auto& f : header_fields(message)) {
        std::string name(f.name);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        if (name == "subject" && !info.subject) info.subject = decode_header_text(f.value);
        else if (name == "from" && !info.from) info.from = f.value;
        else if (name == "message-id" && !info.message_id) info.message_id = f.value;
    }
    size_t index = 0;
    struct mailmime* mime = nullptr;
    if (mailmime_parse(message.data(), message.size(), &index, &mime) != MAILIMF_NO_ERROR || !mime)
        return fail(ErrorKind::Invalid, "MIME structure could not be parsed");
    Walk walk{limits};
    walk.visit(mime, 0);
    mailmime_free(mime);
    if (walk.over) return fail(ErrorKind::Invalid, "MIME structure over the depth or part limits");
    info.part_count = walk.leaves;
    info.depth = walk.deepest;
    return info;
}

}  // namespace mss::mime
