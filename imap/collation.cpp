// i;unicode-casemap through ICU: its titlecase mapping and NFD are Unicode's own tables, which a
// hand-written table of a few scripts only approximated.
#include "imap/collation.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <vector>

namespace mss::imap {
namespace {

std::u16string to_utf16(std::string_view utf8) {
    UErrorCode status = U_ZERO_ERROR;
    int32_t length = 0;
    u_strFromUTF8WithSub(nullptr, 0, &length, utf8.data(), static_cast<int32_t>(utf8.size()), 0xFFFD, nullptr, &status);
    std::u16string out(static_cast<std::size_t>(length), u'\0');
    status = U_ZERO_ERROR;
    u_strFromUTF8WithSub(out.data(), length, nullptr, utf8.data(), static_cast<int32_t>(utf8.size()), 0xFFFD, nullptr,
                         &status);
    return U_SUCCESS(status) ? out : std::u16string();
}

std::string to_utf8(const std::u16string& text) {
    UErrorCode status = U_ZERO_ERROR;
    int32_t length = 0;
    u_strToUTF8(nullptr, 0, &length, text.data(), static_cast<int32_t>(text.size()), &status);
    std::string out(static_cast<std::size_t>(length), '\0');
    status = U_ZERO_ERROR;
    u_strToUTF8(out.data(), length, nullptr, text.data(), static_cast<int32_t>(text.size()), &status);
    return U_SUCCESS(status) ? out : std::string();
}

std::u16string titlecase(const std::u16string& text) {
    std::u16string out;
    out.reserve(text.size());
    for (int32_t i = 0; i < static_cast<int32_t>(text.size());) {
        UChar32 c;
        U16_NEXT(text.data(), i, static_cast<int32_t>(text.size()), c);
        c = u_totitle(c);
        if (U_IS_BMP(c)) {
            out += static_cast<char16_t>(c);
        } else {
            out += static_cast<char16_t>(U16_LEAD(c));
            out += static_cast<char16_t>(U16_TRAIL(c));
        }
    }
    return out;
}

std::u16string decomposed(const std::u16string& text) {
    UErrorCode status = U_ZERO_ERROR;
    const UNormalizer2* nfd = unorm2_getNFDInstance(&status);
    if (U_FAILURE(status)) return text;
    int32_t length = unorm2_normalize(nfd, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, &status);
    if (status != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(status)) return text;
    std::u16string out(static_cast<std::size_t>(length), u'\0');
    status = U_ZERO_ERROR;
    unorm2_normalize(nfd, text.data(), static_cast<int32_t>(text.size()), out.data(), length, &status);
    return U_SUCCESS(status) ? out : text;
}

}  // namespace

std::string unicode_casemap_key(std::string_view utf8) { return to_utf8(decomposed(titlecase(to_utf16(utf8)))); }

}  // namespace mss::imap
