// Pure, bounded ESMTP command parser (RFC 5321 4.1, RFC 1869/6152/1870/6531/3030/4954/3207/3461):
// one line of bytes in, a Command or the exact Reply for the error out. No I/O, no allocation
// beyond the size of its input. Trusts nothing about the line.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/text.h"
#include "smtp/parse/reply.h"

namespace mss::smtp {

enum class Verb { Helo, Ehlo, Mail, Rcpt, Data, Bdat, Rset, Noop, Quit, Vrfy, Expn, Help, StartTls, Auth };

// A mailbox from a reverse-path or forward-path, source route dropped (RFC 5321 4.1.2, C.).
struct Path {
    bool null = false;        // "<>" (reverse-path only)
    std::string local;        // local part as written (quoted string kept with its quotes)
    std::string domain;       // domain or address literal ("[192.0.2.1]"), as written
    bool non_ascii = false;   // contains UTF-8 (needs SMTPUTF8)

    std::string address() const { return null ? std::string() : local + "@" + domain; }
};

enum class Body { Unspecified, SevenBit, EightBitMime, BinaryMime };

// RET= (RFC 3461 4.3): what a failure report returns of the message; unspecified: our choice.
enum class Ret { Unspecified, Full, Headers };

// NOTIFY= (RFC 3461 4.1) as bits; an empty set is NOTIFY=NEVER.
enum NotifyBit : unsigned { kNotifySuccess = 1, kNotifyFailure = 2, kNotifyDelay = 4 };

inline constexpr std::size_t kMaxEnvid = 100;   // RFC 3461 4.4: octets of the ENVID as written
inline constexpr std::size_t kMaxOrcpt = 500;   // RFC 3461 4.2: octets of the ORCPT value as written

struct MailParams {
    std::optional<uint64_t> size;  // SIZE=
    Body body = Body::Unspecified; // BODY=
    bool smtputf8 = false;         // SMTPUTF8
    std::optional<std::string> auth;  // AUTH= (RFC 4954 5), xtext-decoded, "<>" kept as is
    Ret ret = Ret::Unspecified;       // RET=
    std::optional<std::string> envid; // ENVID=, xtext-decoded
};

struct RcptParams {
    std::optional<unsigned> notify;   // NOTIFY=: NotifyBit set, 0 for NEVER; absent when not given
    std::optional<std::string> orcpt; // ORCPT=: "<address-type>;<xtext-decoded address>"
};

struct Command {
    Verb verb;
    std::string argument;          // HELO/EHLO domain, VRFY/EXPN/HELP/NOOP text, AUTH mechanism
                                   // (upper-cased)
    std::optional<std::string> initial_response;  // AUTH initial response (base64 text or "=")
    Path path;                     // MAIL FROM / RCPT TO
    MailParams mail;               // MAIL FROM parameters
    RcptParams rcpt;               // RCPT TO parameters
    uint64_t chunk_size = 0;       // BDAT size
    bool last_chunk = false;       // BDAT ... LAST
};

struct CommandLimits {
    std::size_t max_line = 512;    // octets including CRLF (RFC 5321 4.5.3.1.4)
    std::size_t max_auth_line = 12288 + 2;  // AUTH with an initial response (a bearer token: RFC 7628 3.1)
    std::size_t max_local = 64;    // RFC 5321 4.5.3.1.1
    std::size_t max_domain = 255;  // RFC 5321 4.5.3.1.2
    std::size_t max_path = 256;    // RFC 5321 4.5.3.1.3
};

using ParsedCommand = std::variant<Command, Reply>;

// line is one command as read from the wire, its terminator included. Errors, each with its reply:
//   no CRLF at the end, or a bare CR/LF inside     -> 500 5.5.2 (RFC 5321 2.3.8)
//   NUL or other control bytes                     -> 500 5.5.2
//   longer than max_line (max_auth_line for AUTH)  -> 500 5.5.2 "Line too long"
//   unknown verb                                   -> 500 5.5.1
//   bad arguments / path syntax                    -> 501 5.5.4, 501 5.1.7 (MAIL), 501 5.1.3 (RCPT)
//   invalid UTF-8 in a path                        -> 501 5.1.7 / 501 5.1.3 (RFC 6531)
//   unknown or repeated MAIL/RCPT parameter        -> 555 5.5.4 (RFC 5321 4.1.1.11)
//   a DSN parameter (RET, ENVID, NOTIFY, ORCPT) repeated, with a bad value or bad xtext, or longer
//   than its RFC 3461 bound                        -> 501 5.5.4
//   path, local part or domain over their limits   -> 501 5.1.7 / 501 5.1.3
// Whether SMTPUTF8 was declared for a non-ASCII path is the session's check (553 5.6.7).
ParsedCommand parse_command(std::string_view line, const CommandLimits& limits = {});

// RFC 3461 4 xtext: '+' and two upper-case hex digits for '+', '=', controls, space and non-ASCII.
std::optional<std::string> xtext_decode(std::string_view text);
std::string xtext_encode(std::string_view text);

// NOTIFY's value as it is written and stored ("NEVER", "SUCCESS,FAILURE,DELAY"), and back.
std::string notify_text(unsigned bits);
std::optional<unsigned> notify_of(std::string_view text);

using mss::is_valid_utf8;

}  // namespace mss::smtp
