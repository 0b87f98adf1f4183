// libFuzzer target for the IMAP URL reader of CATENATE (RFC 5092): any bytes in, an ImapUrl or
// nothing out. A URL read has a non-zero UID, a mailbox (when any) of valid UTF-8 without control
// characters, a section FETCH would accept; the BADURL text of any bytes holds nothing
// url-resp-text forbids and stays bounded.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "imap/parse/command.h"
#include "imap/parse/imap_url.h"
#include "imap/parse/mutf7.h"

using namespace mss::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto url = parse_imap_url(text)) {
        if (url->uid == 0 || text.size() > kMaxImapUrl) abort();
        if (url->uidvalidity && *url->uidvalidity == 0) abort();
        if (url->absolute == url->host.empty()) abort();
        if (!url->absolute && !url->user.empty()) abort();
        if (url->partial && url->partial->offset > UINT32_MAX) abort();
        if (url->mailbox) {
            if (url->mailbox->empty() || !is_valid_utf8(*url->mailbox)) abort();
            for (char c : *url->mailbox)
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) abort();
        }
        FetchAttribute attribute{FetchItem::BodySection, true, url->section, std::nullopt};
        (void)response_name(attribute);
    }
    std::string shown = badurl_text(text);
    if (shown.size() > 3 * kMaxImapUrl) abort();
    for (char c : shown) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F || c == ']' || c == '\\') abort();
    }
    return 0;
}
