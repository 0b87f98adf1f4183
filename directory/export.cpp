// Extraction_Correspondance rows of our accounts: the mailbox type, address and PS_IdNat we hold;
// the professional and structure columns are the national directory's to fill from RPPS.
#include "directory/export.h"

#include <array>
#include <string>

#include "directory/extraction.h"

namespace mss::directory {
namespace {

std::string_view type_of(store::MailboxKind kind) {
    switch (kind) {
        case store::MailboxKind::Personal: return "PER";
        case store::MailboxKind::Organisational: return "ORG";
        case store::MailboxKind::Applicative: return "APP";
    }
    return "PER";
}

// '|' and line breaks cannot appear inside a field of this format.
std::string field(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c == '|' || c == '\r' || c == '\n') c = ' ';
    return out;
}

}  // namespace

Result<std::size_t> export_correspondance(store::Store& store, std::ostream& out) {
    auto accounts = store.list_accounts();
    if (!accounts) return accounts.error();
    auto header = published_header(ExtractionKind::Correspondance);
    for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "|" : "") << header[i];
    out << "\r\n";
    std::size_t rows = 0;
    for (const auto& a : *accounts) {
        if (a.disabled) continue;
        std::array<std::string, correspondance::kCount> row;
        row[correspondance::TypeBal] = type_of(a.kind);
        row[correspondance::Adresse] = field(a.address);
        if (a.ps_idnat && !a.ps_idnat->empty()) {
            row[correspondance::TypeIdPp] = a.ps_idnat->substr(0, 1);
            row[correspondance::IdPp] = field(a.ps_idnat->substr(1));
            row[correspondance::IdNatPp] = field(*a.ps_idnat);
        }
        for (std::size_t i = 0; i < row.size(); ++i) out << (i ? "|" : "") << row[i];
        out << "\r\n";
        ++rows;
    }
    if (!out) return fail(ErrorKind::Io, "cannot write the export");
    return rows;
}

}  // namespace mss::directory
