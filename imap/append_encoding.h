// What an APPEND stores of a message sent as literal8 (RFC 3516): parts with NUL octets (binary
// content transfer encoding) are re-encoded in base64, as RFC 3516 4.4 and RFC 9051 6.3.12 allow,
// so that no later FETCH ever sends a NUL in an ordinary literal. Pure; trusts nothing in the message.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mss::imap {

// The message unchanged when it holds no NUL; else with each leaf part whose body holds NUL
// re-encoded (base64, its Content-Transfer-Encoding field replaced). nullopt when a NUL lies
// outside every leaf's body (a header, a multipart's preamble): such a message cannot be stored.
std::optional<std::string> without_nul_octets(std::string_view message);

}  // namespace mss::imap
