// Internal to imap/parse: a cursor over one assembled command (RFC 3501 9 / RFC 9051 9 lexical
// rules: atoms, quoted strings, literals, numbers) that throws ParseFailure with the exact response
// on the first error. Only the parse_* functions catch it; nothing escapes the parser's API.
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imap/parse/command.h"
#include "imap/parse/response_code.h"

namespace mss::imap::detail {

struct ParseFailure {
    Response response;
};

bool is_atom_char(char c);     // ATOM-CHAR
bool is_astring_char(char c);  // ASTRING-CHAR (atom chars and "]")
bool is_tag_char(char c);      // ASTRING-CHAR except "+"
bool iequals(std::string_view a, std::string_view b);
std::string upper(std::string_view text);

class Cursor {
public:
    Cursor(std::string_view input, const ParseOptions& options) : in_(input), options_(options) {}

    const ParseOptions& options() const { return options_; }
    std::string tag;  // echoed in failures once known

    bool at_end() const { return pos_ >= in_.size(); }
    char peek(std::size_t ahead = 0) const { return pos_ + ahead < in_.size() ? in_[pos_ + ahead] : '\0'; }
    std::size_t pos() const { return pos_; }
    void rewind(std::size_t pos) { pos_ = pos; }  // back to a position pos() returned
    void advance(std::size_t n) { pos_ = std::min(pos_ + n, in_.size()); }
    template <class Pred>
    std::string_view take_while(Pred pred) {  // possibly empty
        std::size_t start = pos_;
        while (pos_ < in_.size() && pred(in_[pos_])) ++pos_;
        return in_.substr(start, pos_ - start);
    }

    bool accept(char c);
    void expect(char c, std::string_view what);
    void sp();             // exactly one SP before an argument ("Missing argument" at the end)
    bool accept_sp();
    void end();            // nothing left ("Unexpected characters after the command")

    std::string_view atom();         // 1*ATOM-CHAR
    std::string_view astring_atom(); // 1*ASTRING-CHAR
    // The next atom equals word (case-insensitive) and is followed by a non-atom character.
    bool accept_word(std::string_view word);
    bool at_word(std::string_view word) const;

    std::string astring(bool allow_nul = false);
    std::string string(bool allow_nul = false);        // quoted / literal
    std::optional<std::string> nstring();              // NIL / string
    bool at_literal() const;                           // "{" or "~{"
    // literal / literal8 (binary set when "~{"); allow8 false refuses literal8.
    std::string literal(bool allow8, bool allow_nul, bool* binary = nullptr);
    std::string quoted();

    uint32_t number();     // 32-bit number
    uint32_t nz_number();
    uint64_t number64();   // 0..2^63-1 (RFC 9051 number64)

    [[noreturn]] void fail(std::string text, Code code = Code::None, Status status = Status::Bad) const;

private:
    std::string_view digits();
    std::string_view in_;
    std::size_t pos_ = 0;
    const ParseOptions& options_;
};

// The parsers of the sub-grammars, each reading from the cursor.
SequenceSet read_sequence_set(Cursor& in, bool allow_saved = true, bool allow_star = true);
SearchKey read_search_criteria(Cursor& in);        // 1*(SP search-key), SP included
Date read_date(Cursor& in);                        // date / DQUOTE date DQUOTE
Date read_date_text(Cursor& in, bool day_fixed);   // day "-" month "-" year (" 1" when day_fixed)
std::vector<FetchAttribute> read_fetch_attributes(Cursor& in);
std::string read_search_string(Cursor& in);        // astring, valid UTF-8

}  // namespace mss::imap::detail
