// FETCH data items (RFC 3501 6.4.5, RFC 9051 6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ, RFC 8514
// SAVEDATE, RFC 8474 EMAILID/THREADID, RFC 8970 PREVIEW): macros
// expanded, BODY[section]<partial> and BINARY[part] typed, with the name each takes in the
// response. Produced by the command parser, which trusts nothing; this header trusts its values.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mss::imap {

enum class FetchItem {
    Envelope, Flags, InternalDate, Rfc822, Rfc822Header, Rfc822Size, Rfc822Text,
    Body,           // "BODY" without section: BODYSTRUCTURE without extension data
    BodyStructure,
    Uid,
    BodySection,    // BODY[section]<partial>, BODY.PEEK[...]
    Binary,         // BINARY[part]<partial>, BINARY.PEEK[...]
    BinarySize,     // BINARY.SIZE[part]
    ModSeq,
    SaveDate,       // RFC 8514
    EmailId, ThreadId,  // RFC 8474
    Preview,        // RFC 8970; its LAZY modifier is accepted and changes nothing (we always make it)
};

enum class SectionText { None, Header, HeaderFields, HeaderFieldsNot, Text, Mime };

struct Section {
    std::vector<uint32_t> part;       // "1.2.3"; empty for the whole message
    SectionText text = SectionText::None;
    std::vector<std::string> fields;  // HEADER.FIELDS (.NOT) names, upper-cased
    bool operator==(const Section&) const = default;
};

struct Partial {
    uint64_t offset = 0;
    uint64_t length = 0;  // > 0
    bool operator==(const Partial&) const = default;
};

struct FetchAttribute {
    FetchItem item = FetchItem::Flags;
    bool peek = false;  // BODY.PEEK / BINARY.PEEK: do not set \Seen
    Section section;
    std::optional<Partial> partial;
    bool operator==(const FetchAttribute&) const = default;
};

// The item's name in a FETCH response: "BODY[HEADER.FIELDS (DATE FROM)]", "BODY[]<0>" (the origin
// only, RFC 3501 7.4.2), "BINARY.SIZE[1]", "RFC822.SIZE". PEEK is never echoed.
std::string response_name(const FetchAttribute& attribute);

}  // namespace mss::imap
