// PREVIEW (RFC 8970): a short plain-text preview of a stored message for a client's message list.
// Pure: message octets in, at most 256 characters of UTF-8 out. Trusts nothing about the message
// beyond what mime/ makes of it.
#pragma once
#include <string>
#include <string_view>

namespace mss::imap {

constexpr std::size_t kMaxPreviewCharacters = 256;  // RFC 8970 3.1

// The text of the message's first text/plain part that is not an attachment (else of its first
// text/html part, markup removed), transfer-decoded and in UTF-8, runs of white space made one
// space, cut at kMaxPreviewCharacters characters. "" when the message holds no such text.
std::string message_preview(std::string_view message);

}  // namespace mss::imap
