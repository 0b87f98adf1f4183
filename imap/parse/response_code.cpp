// Wire form of IMAP status responses and the names of the response codes.
// Trusts its caller for the text (no CR/LF); everything else is ours.
#include "imap/parse/response_code.h"

namespace mss::imap {

std::string_view code_name(Code code) {
    switch (code) {
        case Code::None: return "";
        case Code::Alert: return "ALERT";
        case Code::AlreadyExists: return "ALREADYEXISTS";
        case Code::AppendUid: return "APPENDUID";
        case Code::AuthenticationFailed: return "AUTHENTICATIONFAILED";
        case Code::AuthorizationFailed: return "AUTHORIZATIONFAILED";
        case Code::BadCharset: return "BADCHARSET";
        case Code::Cannot: return "CANNOT";
        case Code::Capability: return "CAPABILITY";
        case Code::ClientBug: return "CLIENTBUG";
        case Code::Closed: return "CLOSED";
        case Code::ContactAdmin: return "CONTACTADMIN";
        case Code::CopyUid: return "COPYUID";
        case Code::Corruption: return "CORRUPTION";
        case Code::Expired: return "EXPIRED";
        case Code::ExpungeIssued: return "EXPUNGEISSUED";
        case Code::HasChildren: return "HASCHILDREN";
        case Code::HighestModSeq: return "HIGHESTMODSEQ";
        case Code::InUse: return "INUSE";
        case Code::Limit: return "LIMIT";
        case Code::Modified: return "MODIFIED";
        case Code::NoModSeq: return "NOMODSEQ";
        case Code::NonExistent: return "NONEXISTENT";
        case Code::NoPerm: return "NOPERM";
        case Code::NotSaved: return "NOTSAVED";
        case Code::OverQuota: return "OVERQUOTA";
        case Code::Parse: return "PARSE";
        case Code::PermanentFlags: return "PERMANENTFLAGS";
        case Code::PrivacyRequired: return "PRIVACYREQUIRED";
        case Code::ReadOnly: return "READ-ONLY";
        case Code::ReadWrite: return "READ-WRITE";
        case Code::ServerBug: return "SERVERBUG";
        case Code::NoUpdate: return "NOUPDATE";
        case Code::TooBig: return "TOOBIG";
        case Code::BadUrl: return "BADURL";
        case Code::TryCreate: return "TRYCREATE";
        case Code::UidNext: return "UIDNEXT";
        case Code::UidNotSticky: return "UIDNOTSTICKY";
        case Code::UidValidity: return "UIDVALIDITY";
        case Code::Unavailable: return "UNAVAILABLE";
        case Code::UnknownCte: return "UNKNOWN-CTE";
        case Code::Unseen: return "UNSEEN";
        case Code::UseAttr: return "USEATTR";
        case Code::MailboxId: return "MAILBOXID";
        case Code::CompressionActive: return "COMPRESSIONACTIVE";
        case Code::Metadata: return "METADATA";
        case Code::BadEvent: return "BADEVENT";
        case Code::NotificationOverflow: return "NOTIFICATIONOVERFLOW";
    }
    return "";
}

static std::string_view status_name(Status status) {
    switch (status) {
        case Status::Ok: return "OK";
        case Status::No: return "NO";
        case Status::Bad: return "BAD";
        case Status::Bye: return "BYE";
        case Status::PreAuth: return "PREAUTH";
    }
    return "BAD";
}

std::string format_response(const Response& response) {
    std::string out = response.tag.empty() ? std::string("*") : response.tag;
    out += ' ';
    out += status_name(response.status);
    if (response.code != Code::None) {
        out += " [";
        out += code_name(response.code);
        if (!response.code_data.empty()) {
            out += ' ';
            out += response.code_data;
        }
        out += ']';
    }
    if (!response.text.empty()) {
        out += ' ';
        out += response.text;
    }
    out += "\r\n";
    return out;
}

}  // namespace mss::imap
