// Re-encoding of binary parts at APPEND, on mime/'s part tree (exact byte offsets).
#include "imap/append_encoding.h"

#include <vector>

#include "core/base64.h"
#include "core/text.h"
#include "mime/structure.h"

namespace mss::imap {
namespace {

bool has_nul(std::string_view bytes) { return bytes.find('\0') != std::string_view::npos; }

// The leaves whose body holds NUL, in the order of the message.
void binary_leaves(const mime::Part& part, std::string_view message, std::vector<const mime::Part*>& out) {
    if (part.children.empty()) {
        if (has_nul(message.substr(part.body_start, part.body_size()))) out.push_back(&part);
        return;
    }
    for (const auto& child : part.children) binary_leaves(child, message, out);
}

bool is_transfer_encoding_field(std::string_view line) {
    constexpr std::string_view name = "content-transfer-encoding";
    if (line.size() <= name.size() || ascii_lower(std::string(line.substr(0, name.size()))) != name) return false;
    std::string_view rest = line.substr(name.size());
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    return !rest.empty() && rest.front() == ':';
}

// The header block without its Content-Transfer-Encoding field (continuation lines included),
// with "Content-Transfer-Encoding: base64" before the blank line that ends it.
std::string base64_header(std::string_view header) {
    std::string out;
    bool dropping = false;
    std::size_t pos = 0;
    while (pos < header.size()) {
        std::size_t lf = header.find('\n', pos);
        std::size_t next = lf == std::string_view::npos ? header.size() : lf + 1;
        std::string_view line = header.substr(pos, next - pos);
        bool continuation = !line.empty() && (line.front() == ' ' || line.front() == '\t');
        bool blank = line == "\r\n" || line == "\n";
        if (blank) {
            out += "Content-Transfer-Encoding: base64\r\n";
            out += line;
        } else if (continuation ? !dropping : !(dropping = is_transfer_encoding_field(line))) {
            out += line;
        }
        pos = next;
    }
    if (out.find("Content-Transfer-Encoding: base64") == std::string::npos)
        out += "Content-Transfer-Encoding: base64\r\n\r\n";  // a header block cut off without its blank line
    return out;
}

std::string base64_body(std::string_view body) {
    std::string lines = base64_lines(body);
    if (lines.size() >= 2) lines.resize(lines.size() - 2);  // the delimiter's own CRLF follows
    return lines;
}

}  // namespace

std::optional<std::string> without_nul_octets(std::string_view message) {
    if (!has_nul(message)) return std::string(message);
    mime::Part root = mime::parse_structure(message);
    std::vector<const mime::Part*> leaves;
    binary_leaves(root, message, leaves);
    std::string out;
    std::size_t pos = 0;
    for (const mime::Part* leaf : leaves) {
        if (has_nul(message.substr(pos, leaf->header_start - pos))) return std::nullopt;
        out += message.substr(pos, leaf->header_start - pos);
        std::string_view header = message.substr(leaf->header_start, leaf->header_size());
        if (has_nul(header)) return std::nullopt;
        out += base64_header(header);
        out += base64_body(message.substr(leaf->body_start, leaf->body_size()));
        pos = leaf->end;
    }
    if (has_nul(message.substr(pos))) return std::nullopt;
    out += message.substr(pos);
    return out;
}

}  // namespace mss::imap
