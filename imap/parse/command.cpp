// The IMAP command grammar (RFC 3501 9, RFC 9051 9 and the extensions named in command.h), one
// reader per command, over the lexer. Trusts nothing about the command text; every error becomes
// the tagged (or, without a tag, untagged) response documented in command.h.
#include "imap/parse/command.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "imap/parse/lexer.h"
#include "imap/parse/mutf7.h"

namespace mss::imap {

using detail::Cursor;
using detail::iequals;
using detail::upper;

namespace {

// ---- mailbox names ------------------------------------------------------------------------

// A name that is well-formed syntax but cannot name a mailbox (8-bit without UTF-8 enabled, broken
// modified UTF-7, control characters, too long) is NO [CANNOT], not BAD: only broken syntax is BAD.
[[noreturn]] void impossible_name(Cursor& in, std::string text) { in.fail(std::move(text), Code::Cannot, Status::No); }

std::string decode_mailbox(Cursor& in, const std::string& raw) {
    const ParseOptions& o = in.options();
    if (raw.size() > 4 * o.max_mailbox_name + 8) impossible_name(in, "Mailbox name too long");
    std::string name;
    if (o.utf8_names) {
        if (!is_valid_utf8(raw)) impossible_name(in, "Mailbox name is not valid UTF-8");
        name = raw;
    } else {
        if (std::any_of(raw.begin(), raw.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
            impossible_name(in, "Mailbox name must be modified UTF-7 (RFC 3501 5.1.3) unless UTF8=ACCEPT is enabled");
        auto decoded = mutf7_decode(raw);
        if (!decoded) impossible_name(in, "Invalid modified UTF-7 in mailbox name");
        name = std::move(*decoded);
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        auto c = static_cast<unsigned char>(name[i]);
        bool c1 = c == 0xC2 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) < 0xA0;
        if (c < 0x20 || c == 0x7F || c1) impossible_name(in, "Control character in mailbox name");
    }
    if (name.size() > o.max_mailbox_name) impossible_name(in, "Mailbox name too long");
    // INBOX is case-insensitive (RFC 3501 5.1), and so is it as the parent of a hierarchy.
    if (name.size() >= 5 && iequals(std::string_view(name).substr(0, 5), "INBOX") &&
        (name.size() == 5 || name[5] == o.hierarchy_separator))
        name.replace(0, 5, "INBOX");
    return name;
}

std::string mailbox(Cursor& in) { return decode_mailbox(in, in.astring()); }

// list-mailbox = 1*list-char / string (list-char adds "%", "*" and "]" to the atom's).
std::string list_mailbox(Cursor& in) {
    std::string raw;
    if (in.peek() == '"' || in.at_literal()) {
        raw = in.string();
    } else {
        raw = std::string(in.take_while([](char c) { return detail::is_astring_char(c) || c == '%' || c == '*'; }));
        if (raw.empty()) in.fail(in.at_end() ? "Missing argument" : "Invalid mailbox pattern");
    }
    return decode_mailbox(in, raw);
}

// ---- flags ------------------------------------------------------------------------------

// flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" / keyword (atom)
std::string flag(Cursor& in) {
    static constexpr std::array<std::string_view, 5> system = {"\\Answered", "\\Flagged", "\\Deleted", "\\Seen",
                                                               "\\Draft"};
    if (in.accept('\\')) {
        std::string f = "\\" + std::string(in.atom());
        for (std::string_view s : system)
            if (iequals(f, s)) return std::string(s);
        in.fail("Unknown or forbidden system flag");
    }
    return std::string(in.atom());
}

std::vector<std::string> flag_list(Cursor& in) {
    std::vector<std::string> flags;
    in.expect('(', "\"(\" opening the flag list");
    if (in.accept(')')) return flags;
    while (true) {
        flags.push_back(flag(in));
        if (in.accept(')')) break;
        in.sp();
    }
    return flags;
}

// ---- shared pieces ----------------------------------------------------------------------

std::vector<StatusItem> status_items(Cursor& in) {
    struct Name {
        std::string_view name;
        StatusItem item;
    };
    static constexpr Name names[] = {
        {"MESSAGES", StatusItem::Messages},   {"RECENT", StatusItem::Recent},
        {"UIDNEXT", StatusItem::UidNext},     {"UIDVALIDITY", StatusItem::UidValidity},
        {"UNSEEN", StatusItem::Unseen},       {"DELETED", StatusItem::Deleted},
        {"SIZE", StatusItem::Size},           {"HIGHESTMODSEQ", StatusItem::HighestModSeq},
        {"APPENDLIMIT", StatusItem::AppendLimit},   {"MAILBOXID", StatusItem::MailboxId},
    };
    std::vector<StatusItem> items;
    in.expect('(', "\"(\" opening the status items");
    while (true) {
        std::string_view word = in.atom();
        auto it = std::find_if(std::begin(names), std::end(names), [&](const Name& n) { return iequals(word, n.name); });
        if (it == std::end(names)) in.fail("Unknown STATUS item");
        if (it->item == StatusItem::Recent && in.options().imap4rev2) in.fail("IMAP4rev2 has no RECENT");
        if (std::find(items.begin(), items.end(), it->item) == items.end()) items.push_back(it->item);
        if (in.accept(')')) break;
        in.sp();
    }
    return items;
}

std::string charset(Cursor& in) {
    std::string cs = upper(in.astring());
    if (cs != "US-ASCII" && cs != "UTF-8") in.fail("Unsupported charset", Code::BadCharset, Status::No);
    return cs;
}

// mod-sequence-valzer: CHANGEDSINCE and QRESYNC are read with it too (a client that never saw a
// mod-sequence may send 0; the session decides).
uint64_t modseq(Cursor& in) { return in.number64(); }

DateTime date_time(Cursor& in) {
    auto two = [&](int max) {
        char a = in.peek(), b = in.peek(1);
        if (a < '0' || a > '9' || b < '0' || b > '9') in.fail("Invalid date-time");
        in.advance(2);
        int v = (a - '0') * 10 + (b - '0');
        if (v > max) in.fail("Invalid date-time");
        return v;
    };
    DateTime t;
    in.expect('"', "quote opening the date-time");
    t.date = detail::read_date_text(in, true);
    in.expect(' ', "space in the date-time");
    t.hour = two(23);
    in.expect(':', "\":\" in the date-time");
    t.minute = two(59);
    in.expect(':', "\":\" in the date-time");
    t.second = two(60);
    in.expect(' ', "space in the date-time");
    char sign = in.peek();
    if (sign != '+' && sign != '-') in.fail("Invalid date-time zone");
    in.advance(1);
    int zh = two(23), zm = two(59);
    t.zone_minutes = (sign == '-' ? -1 : 1) * (zh * 60 + zm);
    in.expect('"', "quote closing the date-time");
    return t;
}

// ---- commands ---------------------------------------------------------------------------

AuthenticateArgs authenticate(Cursor& in) {
    AuthenticateArgs a;
    in.sp();
    a.mechanism = upper(in.atom());
    if (in.accept_sp()) {
        std::string_view ir = in.atom();
        bool ok = ir == "=";
        if (!ok && ir.size() % 4 == 0) {
            std::size_t pad = ir.size() - std::min(ir.find_last_not_of('=') + 1, ir.size());
            ok = pad <= 2 && std::all_of(ir.begin(), ir.end() - static_cast<std::ptrdiff_t>(pad), [](char c) {
                     return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
                 });
        }
        if (!ok) in.fail("Invalid base64 in the initial response");
        a.initial_response = std::string(ir);
    }
    return a;
}

LoginArgs login(Cursor& in) {
    LoginArgs a;
    in.sp();
    a.user = in.astring();
    in.sp();
    a.password = in.astring();
    return a;
}

EnableArgs enable(Cursor& in) {
    EnableArgs a;
    do {
        in.sp();
        a.capabilities.push_back(upper(in.atom()));
    } while (!in.at_end());
    return a;
}

// "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")"
QresyncParams qresync(Cursor& in) {
    QresyncParams q;
    in.sp();
    in.expect('(', "\"(\" opening the QRESYNC parameters");
    q.uidvalidity = in.nz_number();
    in.sp();
    q.modseq = modseq(in);
    auto seq_match = [&] {
        in.expect('(', "\"(\" opening the sequence match data");
        q.known_sequence = detail::read_sequence_set(in, false, false);
        in.sp();
        q.known_sequence_uids = detail::read_sequence_set(in, false, false);
        in.expect(')', "\")\" closing the sequence match data");
    };
    if (in.accept_sp()) {
        if (in.peek() == '(') {
            seq_match();
        } else {
            q.known_uids = detail::read_sequence_set(in, false, false);
            if (in.accept_sp()) seq_match();
        }
    }
    in.expect(')', "\")\" closing the QRESYNC parameters");
    return q;
}

SelectArgs select(Cursor& in) {
    SelectArgs a;
    in.sp();
    a.mailbox = mailbox(in);
    if (in.accept_sp()) {
        in.expect('(', "\"(\" opening the SELECT parameters");
        while (true) {
            if (in.accept_word("CONDSTORE")) {
                if (a.condstore) in.fail("CONDSTORE given twice", Code::ClientBug);
                a.condstore = true;
            } else if (in.accept_word("QRESYNC")) {
                if (a.qresync) in.fail("QRESYNC given twice", Code::ClientBug);
                a.qresync = qresync(in);
            } else {
                in.fail("Unknown SELECT parameter");
            }
            if (in.accept(')')) break;
            in.sp();
        }
    }
    return a;
}

CreateArgs create(Cursor& in) {
    static constexpr std::array<std::string_view, 7> uses = {"\\All", "\\Archive", "\\Drafts", "\\Flagged",
                                                             "\\Junk", "\\Sent", "\\Trash"};
    CreateArgs a;
    in.sp();
    a.mailbox = mailbox(in);
    if (in.accept_sp()) {
        in.expect('(', "\"(\" opening the CREATE parameters");
        if (!in.accept_word("USE")) in.fail("Unknown CREATE parameter");
        in.sp();
        in.expect('(', "\"(\" opening the USE attributes");
        if (!in.accept(')')) {
            while (true) {
                in.expect('\\', "special-use attribute");
                std::string use = "\\" + std::string(in.atom());
                for (std::string_view u : uses)
                    if (iequals(use, u)) use = std::string(u);
                a.special_use.push_back(std::move(use));
                if (in.accept(')')) break;
                in.sp();
            }
        }
        in.expect(')', "\")\" closing the CREATE parameters");
    }
    return a;
}

RenameArgs rename(Cursor& in) {
    RenameArgs a;
    in.sp();
    a.from = mailbox(in);
    in.sp();
    a.to = mailbox(in);
    return a;
}

ListArgs list(Cursor& in, bool lsub) {
    ListArgs a;
    in.sp();
    if (!lsub && in.accept('(')) {
        a.extended = true;
        bool other = false;  // a selection option RECURSIVEMATCH can modify
        if (!in.accept(')')) {
            while (true) {
                if (in.accept_word("SUBSCRIBED")) {
                    a.select_subscribed = other = true;
                } else if (in.accept_word("REMOTE")) {
                    a.select_remote = true;
                } else if (in.accept_word("RECURSIVEMATCH")) {
                    a.select_recursive_match = true;
                } else if (in.accept_word("SPECIAL-USE")) {
                    a.select_special_use = other = true;
                } else {
                    in.fail("Unknown LIST selection option");
                }
                if (in.accept(')')) break;
                in.sp();
            }
        }
        // RFC 5258 3.1: RECURSIVEMATCH alone (or with REMOTE only) is a BAD.
        if (a.select_recursive_match && !other) in.fail("RECURSIVEMATCH needs another selection option");
        in.sp();
    }
    a.reference = mailbox(in);
    in.sp();
    if (!lsub && in.accept('(')) {
        a.extended = true;
        while (true) {
            a.patterns.push_back(list_mailbox(in));
            if (in.accept(')')) break;
            in.sp();
        }
    } else {
        a.patterns.push_back(list_mailbox(in));
    }
    if (!lsub && in.accept_sp()) {
        if (!in.accept_word("RETURN")) in.fail("Expected RETURN");
        a.extended = true;
        in.sp();
        in.expect('(', "\"(\" opening the LIST return options");
        if (!in.accept(')')) {
            while (true) {
                if (in.accept_word("SUBSCRIBED")) {
                    a.return_subscribed = true;
                } else if (in.accept_word("CHILDREN")) {
                    a.return_children = true;
                } else if (in.accept_word("SPECIAL-USE")) {
                    a.return_special_use = true;
                } else if (in.accept_word("STATUS")) {
                    if (a.return_status) in.fail("STATUS given twice", Code::ClientBug);
                    in.sp();
                    a.return_status = status_items(in);
                } else {
                    in.fail("Unknown LIST return option");
                }
                if (in.accept(')')) break;
                in.sp();
            }
        }
    }
    return a;
}

StatusArgs status(Cursor& in) {
    StatusArgs a;
    in.sp();
    a.mailbox = mailbox(in);
    in.sp();
    a.items = status_items(in);
    return a;
}

// "UTF8" SP "(" literal8 ")" (RFC 6855 4), after the word UTF8.
std::string utf8_data(Cursor& in, bool& binary) {
    in.sp();
    in.expect('(', "\"(\" after UTF8");
    if (in.peek() != '~') in.fail("UTF8 data must be a literal8");
    std::string data = in.literal(true, true, &binary);
    in.expect(')', "\")\" after the UTF8 data");
    return data;
}

// "CATENATE" SP "(" cat-part *(SP cat-part) ")" (RFC 4469 6), after the word CATENATE, with
// cat-part = "TEXT" SP (literal / literal8) / "URL" SP astring / "UTF8" SP "(" literal8 ")" (RFC 6855 4).
// literal8 is allowed in TEXT because we offer BINARY (RFC 4469 5, RFC 3516 4.4).
std::vector<CatenatePart> catenate_parts(Cursor& in) {
    std::vector<CatenatePart> parts;
    in.sp();
    in.expect('(', "\"(\" opening the CATENATE parts");
    while (true) {
        if (parts.size() >= in.options().max_catenate_parts) in.fail("Too many CATENATE parts", Code::Limit);
        CatenatePart part;
        if (in.accept_word("TEXT")) {
            in.sp();
            if (!in.at_literal()) in.fail("TEXT is a literal");
            part.data = in.literal(true, true, &part.binary);
        } else if (in.accept_word("URL")) {
            in.sp();
            part.kind = CatenatePart::Kind::Url;
            part.data = in.astring();
        } else if (in.accept_word("UTF8")) {
            part.data = utf8_data(in, part.binary);
            part.utf8 = true;
        } else {
            in.fail("A CATENATE part is TEXT, URL or UTF8");
        }
        parts.push_back(std::move(part));
        if (in.accept(')')) break;
        in.sp();
    }
    return parts;
}

// "APPEND" SP mailbox 1*append-message (RFC 3502 MULTIAPPEND; one message is RFC 3501)
// append-message = [SP flag-list] [SP date-time] SP (literal / literal8 / "UTF8" SP "(" literal8 ")" /
//                  "CATENATE" SP "(" cat-part *(SP cat-part) ")")
AppendArgs append(Cursor& in) {
    AppendArgs a;
    in.sp();
    a.mailbox = mailbox(in);
    do {
        if (a.messages.size() >= in.options().max_append_messages) in.fail("Too many messages in APPEND", Code::Limit);
        AppendMessage m;
        in.sp();
        if (in.peek() == '(') {
            m.flags = flag_list(in);
            in.sp();
        }
        if (in.peek() == '"') {
            m.internal_date = date_time(in);
            in.sp();
        }
        if (in.at_literal()) {
            m.data = in.literal(true, true, &m.binary);
        } else if (in.accept_word("UTF8")) {
            m.data = utf8_data(in, m.binary);
            m.utf8 = true;
        } else if (in.accept_word("CATENATE")) {
            m.catenate = catenate_parts(in);
        } else {
            in.fail("Expected the message as a literal");
        }
        a.messages.push_back(std::move(m));
    } while (!in.at_end());
    return a;
}

// replace = "REPLACE" SP seq-number SP mailbox append-message (RFC 8508 6); UID REPLACE takes a UID.
// One message only: the append-message of RFC 4466, without MULTIAPPEND.
ReplaceArgs replace(Cursor& in) {
    ReplaceArgs r;
    in.sp();
    r.message = in.nz_number();
    r.replacement = append(in);
    if (r.replacement.messages.size() != 1) in.fail("REPLACE takes one message");
    return r;
}

// "first:last" of PARTIAL (RFC 5267 4.4): two non-zero numbers, swapped when given the other way.
PartialRange partial_range(Cursor& in) {
    PartialRange range;
    range.first = in.nz_number();
    in.expect(':', "\":\" in the PARTIAL range");
    range.last = in.nz_number();
    if (range.first > range.last) std::swap(range.first, range.last);
    return range;
}

struct ReturnOptions {
    unsigned returns = 0;
    PartialRange partial;
};

// "RETURN (" already read: the options up to ")" (RFC 4731, RFC 5182, RFC 5267). "RETURN ()" is
// ALL; PARTIAL with ALL, or an option given twice, is BAD (as Dovecot answers).
ReturnOptions return_options(Cursor& in, bool sorting) {
    struct Name {
        std::string_view name;
        SearchReturn bit;
    };
    static constexpr Name names[] = {
        {"MIN", ReturnMin}, {"MAX", ReturnMax}, {"ALL", ReturnAll}, {"COUNT", ReturnCount},
        {"SAVE", ReturnSave}, {"CONTEXT", ReturnContext}, {"UPDATE", ReturnUpdate}, {"PARTIAL", ReturnPartial},
    };
    ReturnOptions r;
    if (in.accept(')')) {
        r.returns = ReturnAll;
        return r;
    }
    while (true) {
        std::string_view word = in.atom();
        auto it = std::find_if(std::begin(names), std::end(names), [&](const Name& n) { return iequals(word, n.name); });
        if (it == std::end(names)) in.fail(sorting ? "Unknown SORT return option" : "Unknown SEARCH return option");
        if (sorting && it->bit == ReturnUpdate) in.fail("SORT takes no UPDATE (CONTEXT=SORT is not offered)");
        if ((r.returns & it->bit) && it->bit != ReturnContext) in.fail("Return option given twice", Code::ClientBug);
        r.returns |= it->bit;
        if (it->bit == ReturnPartial) {
            in.sp();
            r.partial = partial_range(in);
        }
        if (in.accept(')')) break;
        in.sp();
    }
    if ((r.returns & ReturnPartial) && (r.returns & ReturnAll)) in.fail("PARTIAL conflicts with ALL");
    // CONTEXT is a hint only: alone it is "RETURN ()", ALL. UPDATE alone answers no result now, only
    // the updates later (as Dovecot does).
    if ((r.returns & ~ReturnContext) == 0) r.returns |= ReturnAll;
    return r;
}

SearchArgs search(Cursor& in) {
    SearchArgs a;
    std::size_t before = in.pos();
    in.sp();
    if (in.accept_word("RETURN")) {
        a.esearch = true;
        in.sp();
        in.expect('(', "\"(\" opening the RETURN options");
        auto options = return_options(in, false);
        a.returns = options.returns;
        a.partial = options.partial;
        before = in.pos();
        in.sp();
    }
    if (in.accept_word("CHARSET")) {
        in.sp();
        a.charset = charset(in);
    } else {
        in.rewind(before);
    }
    a.criteria = detail::read_search_criteria(in);
    return a;
}

FetchArgs fetch(Cursor& in, bool uid) {
    FetchArgs a;
    in.sp();
    a.set = detail::read_sequence_set(in);
    in.sp();
    a.attributes = detail::read_fetch_attributes(in);
    if (in.accept_sp()) {
        in.expect('(', "\"(\" opening the FETCH modifiers");
        while (true) {
            if (in.accept_word("CHANGEDSINCE")) {
                if (a.changed_since) in.fail("CHANGEDSINCE given twice", Code::ClientBug);
                in.sp();
                a.changed_since = modseq(in);
            } else if (in.accept_word("VANISHED")) {
                a.vanished = true;
            } else {
                in.fail("Unknown FETCH modifier");
            }
            if (in.accept(')')) break;
            in.sp();
        }
    }
    // RFC 7162 3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
    if (a.vanished && !uid) in.fail("VANISHED is only allowed in UID FETCH", Code::ClientBug);
    if (a.vanished && !a.changed_since) in.fail("VANISHED requires CHANGEDSINCE", Code::ClientBug);
    return a;
}

StoreArgs store(Cursor& in) {
    StoreArgs a;
    in.sp();
    a.set = detail::read_sequence_set(in);
    in.sp();
    if (in.accept('(')) {
        if (!in.accept_word("UNCHANGEDSINCE")) in.fail("Unknown STORE modifier");
        in.sp();
        a.unchanged_since = modseq(in);
        in.expect(')', "\")\" closing the STORE modifiers");
        in.sp();
    }
    std::string item = upper(in.atom());
    std::string_view rest = item;
    if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) {
        a.mode = rest[0] == '+' ? StoreMode::Add : StoreMode::Remove;
        rest.remove_prefix(1);
    }
    if (rest == "FLAGS.SILENT")
        a.silent = true;
    else if (rest != "FLAGS")
        in.fail("Unknown STORE data item");
    in.sp();
    if (in.peek() == '(') {
        a.flags = flag_list(in);
    } else {
        do a.flags.push_back(flag(in));
        while (in.accept_sp());
    }
    return a;
}

CopyArgs copy(Cursor& in) {
    CopyArgs a;
    in.sp();
    a.set = detail::read_sequence_set(in);
    in.sp();
    a.mailbox = mailbox(in);
    return a;
}

std::string identifier(Cursor& in) {
    std::string id = in.astring();
    if (!is_valid_utf8(id)) in.fail("Identifier is not valid UTF-8");
    return id;
}

AclArgs acl(Cursor& in, Verb verb) {
    AclArgs a;
    in.sp();
    a.mailbox = mailbox(in);
    in.sp();
    a.identifier = identifier(in);
    if (verb == Verb::SetAcl) {
        in.sp();
        std::string rights = in.astring();
        std::string_view r = rights;
        if (!r.empty() && (r[0] == '+' || r[0] == '-')) {
            a.mode = r[0] == '+' ? StoreMode::Add : StoreMode::Remove;
            r.remove_prefix(1);
        }
        // RFC 4314 2.1: rights are lower-case letters and digits; unknown ones are the session's BAD.
        if (!std::all_of(r.begin(), r.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }))
            in.fail("Invalid access rights");
        a.rights = std::string(r);
    }
    return a;
}

SetQuotaArgs set_quota(Cursor& in) {
    SetQuotaArgs a;
    in.sp();
    a.root = in.astring();
    in.sp();
    in.expect('(', "\"(\" opening the quota limits");
    if (!in.accept(')')) {
        while (true) {
            std::string resource = upper(in.atom());
            in.sp();
            a.limits.emplace_back(std::move(resource), in.number64());
            if (in.accept(')')) break;
            in.sp();
        }
    }
    return a;
}

// RFC 2971: "ID" SP ("(" [string SP nstring *(SP string SP nstring)] ")" / NIL); at most 30
// pairs, fields of at most 30 octets, values of at most 1024.
IdArgs id(Cursor& in) {
    IdArgs a;
    in.sp();
    if (in.accept_word("NIL")) return a;
    a.fields.emplace();
    in.expect('(', "\"(\" or NIL");
    if (in.accept(')')) return a;
    while (true) {
        if (a.fields->size() >= 30) in.fail("Too many ID fields", Code::Limit);
        std::string field = in.astring();
        in.sp();
        std::optional<std::string> value = in.nstring();
        if (field.size() > 30 || (value && value->size() > 1024)) in.fail("ID field or value too long", Code::Limit);
        a.fields->emplace_back(std::move(field), std::move(value));
        if (in.accept(')')) break;
        in.sp();
    }
    return a;
}

SortArgs sort(Cursor& in) {
    struct Name {
        std::string_view name;
        SortKey key;
    };
    static constexpr Name names[] = {
        {"ARRIVAL", SortKey::Arrival}, {"CC", SortKey::Cc},     {"DATE", SortKey::Date},
        {"FROM", SortKey::From},       {"SIZE", SortKey::Size}, {"SUBJECT", SortKey::Subject},
        {"TO", SortKey::To},           {"DISPLAYFROM", SortKey::DisplayFrom}, {"DISPLAYTO", SortKey::DisplayTo},
    };
    SortArgs a;
    in.sp();
    if (in.accept_word("RETURN")) {
        a.esearch = true;
        in.sp();
        in.expect('(', "\"(\" opening the RETURN options");
        auto options = return_options(in, true);
        a.returns = options.returns;
        a.partial = options.partial;
        in.sp();
    }
    in.expect('(', "\"(\" opening the sort criteria");
    while (true) {
        SortCriterion c;
        if (in.accept_word("REVERSE")) {
            c.reverse = true;
            in.sp();
        }
        std::string_view word = in.atom();
        auto it = std::find_if(std::begin(names), std::end(names), [&](const Name& n) { return iequals(word, n.name); });
        if (it == std::end(names)) in.fail("Unknown sort criterion");
        c.key = it->key;
        a.criteria.push_back(c);
        if (in.accept(')')) break;
        in.sp();
    }
    in.sp();
    a.charset = charset(in);
    a.search = detail::read_search_criteria(in);
    return a;
}

ThreadArgs thread(Cursor& in) {
    ThreadArgs a;
    in.sp();
    a.algorithm = upper(in.atom());
    in.sp();
    a.charset = charset(in);
    a.search = detail::read_search_criteria(in);
    return a;
}

// ---- METADATA (RFC 5464) ------------------------------------------------------------------

constexpr std::size_t kMaxMetadataEntries = 100;  // per command
constexpr std::size_t kMaxEntryName = 1024;

std::string metadata_entry(Cursor& in, bool root_allowed) {
    std::string entry = in.astring();
    if (entry.size() > kMaxEntryName) in.fail("Entry name too long", Code::Limit);
    for (char& c : entry) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '*' || c == '%') in.fail("Invalid character in entry name");
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    bool root = entry == "/private" || entry == "/shared";
    if (root ? !root_allowed : !(entry.starts_with("/private/") || entry.starts_with("/shared/")))
        in.fail("Entry names begin with /private/ or /shared/");
    if (entry.find("//") != std::string::npos || entry.back() == '/') in.fail("Invalid entry name");
    return entry;
}

GetMetadataArgs get_metadata(Cursor& in) {
    GetMetadataArgs a;
    in.sp();
    if (in.accept('(')) {
        bool saw_size = false, saw_depth = false;
        while (true) {
            if (in.accept_word("MAXSIZE") && !saw_size) {
                saw_size = true;
                in.sp();
                a.max_size = in.number();
            } else if (in.accept_word("DEPTH") && !saw_depth) {
                saw_depth = true;
                in.sp();
                if (in.accept_word("INFINITY")) a.depth = -1;
                else if (in.accept_word("0")) a.depth = 0;
                else if (in.accept_word("1")) a.depth = 1;
                else in.fail("DEPTH is 0, 1 or infinity");
            } else {
                in.fail("Unknown or repeated GETMETADATA option");
            }
            if (in.accept(')')) break;
            in.sp();
        }
        in.sp();
    }
    a.mailbox = mailbox(in);
    in.sp();
    if (!in.accept('(')) {
        a.entries.push_back(metadata_entry(in, true));
        return a;
    }
    while (true) {
        if (a.entries.size() == kMaxMetadataEntries) in.fail("Too many entries", Code::Limit);
        a.entries.push_back(metadata_entry(in, true));
        if (in.accept(')')) break;
        in.sp();
    }
    return a;
}

SetMetadataArgs set_metadata(Cursor& in) {
    SetMetadataArgs a;
    in.sp();
    a.mailbox = mailbox(in);
    in.sp();
    in.expect('(', "\"(\" opening the entries and values");
    while (true) {
        if (a.values.size() == kMaxMetadataEntries) in.fail("Too many entries", Code::Limit);
        std::string entry = metadata_entry(in, false);
        in.sp();
        std::optional<std::string> value;
        if (in.at_literal()) value = in.literal(true, true);
        else value = in.nstring();
        a.values.emplace_back(std::move(entry), std::move(value));
        if (in.accept(')')) break;
        in.sp();
    }
    return a;
}

// ---- NOTIFY (RFC 5465) -------------------------------------------------------------------

constexpr std::size_t kMaxNotifyGroups = 64;
constexpr std::size_t kMaxNotifyMailboxes = 64;  // per group

struct EventName {
    std::string_view name;
    NotifyEvent event;
};
constexpr EventName kNotifyEvents[] = {
    {"MessageNew", NotifyEvent::MessageNew},
    {"MessageExpunge", NotifyEvent::MessageExpunge},
    {"FlagChange", NotifyEvent::FlagChange},
    {"MailboxName", NotifyEvent::MailboxName},
    {"SubscriptionChange", NotifyEvent::SubscriptionChange},
    {"MailboxMetadataChange", NotifyEvent::MailboxMetadataChange},
    {"ServerMetadataChange", NotifyEvent::ServerMetadataChange},
};

NotifyFilter notify_filter(Cursor& in, NotifyGroup& group) {
    if (in.accept_word("SELECTED")) return NotifyFilter::Selected;
    if (in.accept_word("SELECTED-DELAYED")) return NotifyFilter::SelectedDelayed;
    if (in.accept_word("INBOXES")) return NotifyFilter::Inboxes;
    if (in.accept_word("PERSONAL")) return NotifyFilter::Personal;
    if (in.accept_word("SUBSCRIBED")) return NotifyFilter::Subscribed;
    NotifyFilter filter = NotifyFilter::Mailboxes;
    if (in.accept_word("SUBTREE")) filter = NotifyFilter::Subtree;
    else if (!in.accept_word("MAILBOXES")) in.fail("Unknown NOTIFY mailbox filter");
    in.sp();
    if (!in.accept('(')) {
        group.mailboxes.push_back(mailbox(in));
        return filter;
    }
    while (true) {
        if (group.mailboxes.size() == kMaxNotifyMailboxes) in.fail("Too many mailboxes", Code::Limit);
        group.mailboxes.push_back(mailbox(in));
        if (in.accept(')')) break;
        in.sp();
    }
    return filter;
}

void notify_events(Cursor& in, NotifyGroup& group) {
    if (in.accept_word("NONE")) return;
    in.expect('(', "\"(\" opening the events");
    bool unknown = false;
    while (true) {
        std::string_view word = in.atom();
        auto it = std::find_if(std::begin(kNotifyEvents), std::end(kNotifyEvents),
                               [&](const EventName& e) { return iequals(word, e.name); });
        if (it == std::end(kNotifyEvents)) unknown = true;
        else group.events |= static_cast<unsigned>(it->event);
        if (it != std::end(kNotifyEvents) && it->event == NotifyEvent::MessageNew && in.peek() == ' ' && in.peek(1) == '(') {
            in.sp();
            group.fetch = detail::read_fetch_attributes(in);
        }
        if (in.accept(')')) break;
        in.sp();
    }
    if (unknown) in.fail("Unsupported event", Code::BadEvent, Status::No);
}

// The pairings bind the selected mailbox's groups, whose EXISTS and EXPUNGE keep message numbers
// right (as Dovecot 2.3 checks them); another mailbox may ask for MessageNew alone (RFC 5465's example).
void check_notify_group(Cursor& in, const NotifyGroup& g) {
    if (g.filter != NotifyFilter::Selected && g.filter != NotifyFilter::SelectedDelayed) return;
    if (g.has(NotifyEvent::MessageNew) != g.has(NotifyEvent::MessageExpunge))
        in.fail("MessageNew and MessageExpunge go together");
    if (g.has(NotifyEvent::FlagChange) && !g.has(NotifyEvent::MessageNew))
        in.fail("FlagChange needs MessageNew and MessageExpunge");
}

NotifyArgs notify(Cursor& in) {
    NotifyArgs a;
    in.sp();
    if (in.accept_word("NONE")) {
        a.none = true;
        return a;
    }
    if (!in.accept_word("SET")) in.fail("NOTIFY SET or NOTIFY NONE");
    in.sp();
    if (in.accept('(')) {
        std::size_t before = in.pos() - 1;
        if (in.accept_word("STATUS") && in.accept(')')) {
            a.status = true;
            in.sp();
        } else {
            in.rewind(before);
        }
    } else if (in.accept_word("STATUS")) {  // RFC 5465's examples write it bare
        a.status = true;
        in.sp();
    }
    bool selected_seen = false;
    while (true) {
        if (a.groups.size() == kMaxNotifyGroups) in.fail("Too many event groups", Code::Limit);
        NotifyGroup group;
        in.expect('(', "\"(\" opening an event group");
        group.filter = notify_filter(in, group);
        in.sp();
        notify_events(in, group);
        in.expect(')', "\")\" closing the event group");
        check_notify_group(in, group);
        if (group.filter == NotifyFilter::Selected || group.filter == NotifyFilter::SelectedDelayed) {
            if (selected_seen) in.fail("SELECTED given twice");
            selected_seen = true;
        }
        a.groups.push_back(std::move(group));
        if (!in.accept_sp()) break;
    }
    return a;
}

struct VerbName {
    std::string_view name;
    Verb verb;
};

constexpr VerbName kVerbs[] = {
    {"CAPABILITY", Verb::Capability}, {"NOOP", Verb::Noop},
    {"LOGOUT", Verb::Logout},         {"STARTTLS", Verb::StartTls},
    {"AUTHENTICATE", Verb::Authenticate}, {"LOGIN", Verb::Login},
    {"ENABLE", Verb::Enable},         {"SELECT", Verb::Select},
    {"EXAMINE", Verb::Examine},       {"CREATE", Verb::Create},
    {"DELETE", Verb::Delete},         {"RENAME", Verb::Rename},
    {"SUBSCRIBE", Verb::Subscribe},   {"UNSUBSCRIBE", Verb::Unsubscribe},
    {"LIST", Verb::List},             {"LSUB", Verb::Lsub},
    {"NAMESPACE", Verb::Namespace},   {"STATUS", Verb::Status},
    {"APPEND", Verb::Append},         {"IDLE", Verb::Idle},
    {"CHECK", Verb::Check},           {"CLOSE", Verb::Close},
    {"UNSELECT", Verb::Unselect},     {"EXPUNGE", Verb::Expunge},
    {"SEARCH", Verb::Search},         {"FETCH", Verb::Fetch},
    {"STORE", Verb::Store},           {"COPY", Verb::Copy},
    {"MOVE", Verb::Move},             {"GETACL", Verb::GetAcl},
    {"SETACL", Verb::SetAcl},         {"DELETEACL", Verb::DeleteAcl},
    {"LISTRIGHTS", Verb::ListRights}, {"MYRIGHTS", Verb::MyRights},
    {"GETQUOTA", Verb::GetQuota},     {"GETQUOTAROOT", Verb::GetQuotaRoot},
    {"SETQUOTA", Verb::SetQuota},     {"ID", Verb::Id},
    {"SORT", Verb::Sort},             {"THREAD", Verb::Thread},
    {"UNAUTHENTICATE", Verb::Unauthenticate},
    {"REPLACE", Verb::Replace},
    {"COMPRESS", Verb::Compress},
    {"GETMETADATA", Verb::GetMetadata}, {"SETMETADATA", Verb::SetMetadata},
    {"NOTIFY", Verb::Notify},
    {"CANCELUPDATE", Verb::CancelUpdate},
};

constexpr std::size_t kMaxCancelledTags = 100;

// CANCELUPDATE 1*(SP tag-string) (RFC 5267 4.3)
CancelUpdateArgs cancel_update(Cursor& in) {
    CancelUpdateArgs a;
    do {
        in.sp();
        a.tags.push_back(in.string());
        if (a.tags.size() > kMaxCancelledTags) in.fail("Too many tags", Code::Limit);
    } while (!in.at_end());
    return a;
}

Arguments arguments(Cursor& in, Verb verb, bool uid) {
    switch (verb) {
        case Verb::Capability: case Verb::Noop: case Verb::Logout: case Verb::StartTls: case Verb::Namespace:
        case Verb::Idle: case Verb::Check: case Verb::Close: case Verb::Unselect: case Verb::Unauthenticate:
            return NoArgs{};
        case Verb::Expunge:
            if (!uid) return NoArgs{};
            in.sp();
            return UidExpungeArgs{detail::read_sequence_set(in)};
        case Verb::Authenticate: return authenticate(in);
        case Verb::Login: return login(in);
        case Verb::Enable: return enable(in);
        case Verb::Select: case Verb::Examine: return select(in);
        case Verb::Create: return create(in);
        case Verb::Delete: case Verb::Subscribe: case Verb::Unsubscribe: case Verb::GetAcl: case Verb::MyRights:
        case Verb::GetQuotaRoot:
            in.sp();
            return MailboxArgs{mailbox(in)};
        case Verb::Rename: return rename(in);
        case Verb::List: return list(in, false);
        case Verb::Lsub: return list(in, true);
        case Verb::Status: return status(in);
        case Verb::Append: return append(in);
        case Verb::Search: return search(in);
        case Verb::Fetch: return fetch(in, uid);
        case Verb::Store: return store(in);
        case Verb::Copy: case Verb::Move: return copy(in);
        case Verb::SetAcl: case Verb::DeleteAcl: case Verb::ListRights: return acl(in, verb);
        case Verb::GetQuota:
            in.sp();
            return QuotaRootArgs{in.astring()};
        case Verb::SetQuota: return set_quota(in);
        case Verb::Id: return id(in);
        case Verb::Sort: return sort(in);
        case Verb::Thread: return thread(in);
        case Verb::Replace: return replace(in);
        case Verb::Compress:
            in.sp();
            return CompressArgs{upper(in.atom())};
        case Verb::GetMetadata: return get_metadata(in);
        case Verb::SetMetadata: return set_metadata(in);
        case Verb::Notify: return notify(in);
        case Verb::CancelUpdate: return cancel_update(in);
    }
    in.fail("Unknown command");
}

}  // namespace

std::string_view notify_events_supported() {
    return "(MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange "
           "MailboxMetadataChange ServerMetadataChange)";
}

std::string_view verb_name(Verb verb) {
    for (const VerbName& v : kVerbs)
        if (v.verb == verb) return v.name;
    return "";
}

bool is_idle_done(std::string_view line) { return iequals(line, "DONE"); }

std::string_view command_tag(std::string_view line) {
    std::size_t n = 0;
    while (n < line.size() && detail::is_tag_char(line[n])) ++n;
    if (n == 0 || (n < line.size() && line[n] != ' ')) return {};
    return line.substr(0, n);
}

ParsedCommand parse_command(std::string_view text, const ParseOptions& options) {
    Cursor in(text, options);
    try {
        std::string_view tag = command_tag(text);
        if (tag.empty()) in.fail(text.empty() ? "Empty command line" : "Missing or invalid tag");
        in.tag = std::string(tag);
        in.advance(tag.size());
        if (in.at_end()) in.fail("Missing command");
        in.sp();
        if (in.at_end()) in.fail("Missing command");
        Command cmd;
        cmd.tag = in.tag;
        std::string_view word = in.atom();
        if (iequals(word, "UID")) {
            cmd.uid = true;
            in.sp();
            word = in.atom();
        }
        auto it = std::find_if(std::begin(kVerbs), std::end(kVerbs), [&](const VerbName& v) { return iequals(word, v.name); });
        if (it == std::end(kVerbs)) in.fail("Unknown command");
        cmd.verb = it->verb;
        if (cmd.uid) {
            switch (cmd.verb) {
                case Verb::Copy: case Verb::Move: case Verb::Fetch: case Verb::Search: case Verb::Store:
                case Verb::Expunge: case Verb::Sort: case Verb::Thread: case Verb::Replace:
                    break;
                default:
                    in.fail("Unknown UID command");
            }
        }
        cmd.args = arguments(in, cmd.verb, cmd.uid);
        in.end();
        return cmd;
    } catch (detail::ParseFailure& failure) {
        return std::move(failure.response);
    }
}

// days_from_civil (H. Hinnant), then the zone: the date-time is local time at zone_minutes.
int64_t DateTime::unix_time() const {
    int64_t y = date.year - (date.month <= 2 ? 1 : 0);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (date.month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + date.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + minute * 60 + second - static_cast<int64_t>(zone_minutes) * 60;
}

}  // namespace mss::imap
