// The MIME structure of a stored message (RFC 2045/2046, RFC 5322) as a tree of parts with exact
// byte offsets, and the envelope fields of a header (RFC 3501 7.4.2 ENVELOPE). Pure and bounded:
// trusts nothing about the bytes; the caller bounds their size, these functions bound the rest.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mss::mime {

struct Param {
    std::string name;   // as written
    std::string value;  // unquoted; RFC 2231 continuations joined
    bool operator==(const Param&) const = default;
};

struct StructureLimits {
    int max_depth = 32;             // nested multiparts and message/rfc822: deeper parts are opaque leaves
    std::size_t max_parts = 10000;  // parts beyond this are not split out of their parent's body
};

enum class PartKind {
    Leaf,       // any single part, and opaque composites (too deep, over the part limit)
    Multipart,  // children: its body parts, at least one
    Message,    // message/rfc822: children holds the one encapsulated message
};

// One entity: the top-level message, a body part, or a message encapsulated in a message/rfc822
// part. Offsets index the whole message: the header is [header_start, body_start) with its blank
// line, the body [body_start, end). The CRLF before a boundary delimiter belongs to the delimiter.
struct Part {
    std::size_t header_start = 0;
    std::size_t body_start = 0;
    std::size_t end = 0;
    PartKind kind = PartKind::Leaf;
    std::string type = "text";     // as written; RFC 2045 defaults when absent or invalid
    std::string subtype = "plain";
    std::vector<Param> params;     // text/* always carries a charset (us-ascii by default)
    std::optional<std::string> id, description, encoding, md5, location;  // raw, trimmed
    std::optional<std::string> disposition;
    std::vector<Param> disposition_params;
    std::vector<std::string> languages;
    std::size_t lines = 0;         // LF octets in the body
    std::vector<Part> children;

    std::size_t header_size() const { return body_start - header_start; }
    std::size_t body_size() const { return end - body_start; }
};

// The part tree of a whole message; never fails: broken MIME gives the parts RFC 2045 defaults.
Part parse_structure(std::string_view message, const StructureLimits& limits = {});

// The entity a FETCH section-part names (RFC 3501 6.4.5), nullptr when there is none. Part 1 of a
// single-part entity is itself; numbers that go on past a message/rfc822 part enter its message.
const Part* find_part(const Part& root, const std::vector<uint32_t>& path);

struct EnvelopeAddress {
    // A mailbox, or a group start (host absent, mailbox = group name), or a group end (all absent).
    std::optional<std::string> name, adl, mailbox, host;
    bool operator==(const EnvelopeAddress&) const = default;
};

struct Envelope {
    std::optional<std::string> date, subject, in_reply_to, message_id;  // raw, unfolded
    std::vector<EnvelopeAddress> from, sender, reply_to, to, cc, bcc;  // sender, reply-to default to from
};

// The envelope of a header block (the top-level header, or an encapsulated message's).
Envelope parse_envelope(std::string_view header);
// An RFC 5322 address-list, leniently: RFC 2047 words stay encoded, quoting is removed, a missing
// local part or domain reads MISSING_MAILBOX / MISSING_DOMAIN as other IMAP servers write them.
std::vector<EnvelopeAddress> parse_addresses(std::string_view value);
// A Content-Type value; nullopt when it has no valid type/subtype (RFC 2045 5.2 then applies).
struct ContentType {
    std::string type, subtype;
    std::vector<Param> params;
};
std::optional<ContentType> parse_content_type(std::string_view value);
// Octets of the header at the start of entity, its blank line included (all of it when none).
std::size_t header_length(std::string_view entity);

}  // namespace mss::mime
