// An IMAP status response as a value: tag, OK/NO/BAD/BYE, response code (RFC 3501 7.1, RFC 5530,
// RFC 9051 7.1 and the extensions') and text. Every rejection the framing layer and the command
// parser produce is one of these, so each bad input has its exact wire answer. Trusts its caller.
#pragma once
#include <string>
#include <string_view>

namespace mss::imap {

enum class Status { Ok, No, Bad, Bye, PreAuth };

enum class Code {
    None,
    Alert,                 // RFC 3501
    AlreadyExists,         // RFC 5530
    AppendUid,             // RFC 4315
    AuthenticationFailed,  // RFC 5530
    AuthorizationFailed,   // RFC 5530
    BadCharset,            // RFC 3501: data "(US-ASCII UTF-8)"
    Cannot,                // RFC 5530
    Capability,            // RFC 3501
    ClientBug,             // RFC 5530
    Closed,                // RFC 7162
    ContactAdmin,          // RFC 5530
    CopyUid,               // RFC 4315
    Corruption,            // RFC 5530
    Expired,               // RFC 5530
    ExpungeIssued,         // RFC 5530
    HasChildren,           // RFC 9051
    HighestModSeq,         // RFC 7162
    MailboxId,             // RFC 8474: data "(objectid)"
    InUse,                 // RFC 5530
    Limit,                 // RFC 5530
    Modified,              // RFC 7162
    NoModSeq,              // RFC 7162
    NonExistent,           // RFC 5530
    NoPerm,                // RFC 5530
    NotSaved,              // RFC 5182
    OverQuota,             // RFC 5530, RFC 9208
    Parse,                 // RFC 3501
    PermanentFlags,        // RFC 3501
    PrivacyRequired,       // RFC 5530
    ReadOnly,              // RFC 3501
    ReadWrite,             // RFC 3501
    ServerBug,             // RFC 5530
    TooBig,                // RFC 4469, RFC 7889, RFC 9051
    TryCreate,             // RFC 3501
    UidNext,               // RFC 3501
    UidNotSticky,          // RFC 4315
    UidValidity,           // RFC 3501
    Unavailable,           // RFC 5530
    UnknownCte,            // RFC 3516
    Unseen,                // RFC 3501
    UseAttr,               // RFC 6154
    CompressionActive,     // RFC 4978
    Metadata,              // RFC 5464: data "LONGENTRIES n", "MAXSIZE n", "TOOMANY", "NOPRIVATE"
    BadEvent,              // RFC 5465: data the events supported
    NotificationOverflow,  // RFC 5465
    NoUpdate,              // RFC 5267: data the quoted tag of the search no longer updated
    BadUrl,                // RFC 4469: data the URL refused
};

// "TOOBIG", "BADCHARSET", ... ("" for Code::None).
std::string_view code_name(Code code);

struct Response {
    std::string tag;        // "" for an untagged response ("*")
    Status status = Status::Ok;
    Code code = Code::None;
    std::string code_data;  // what follows the code inside the brackets, e.g. "(US-ASCII UTF-8)"
    std::string text;

    bool operator==(const Response&) const = default;
};

// "tag BAD [TOOBIG] text\r\n", "* BYE text\r\n". The text must not hold CR or LF (the parsers'
// texts never do; they never echo client bytes into it).
std::string format_response(const Response& response);

}  // namespace mss::imap
