// mssctl: the operator's tool for a data directory: init, accounts and organisational members,
// stored mail, and the test IGC. Wiring only: checks arguments, calls the modules, prints results.
#include <fmt/format.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/config.h"
#include "crypto/password.h"
#include "crypto/pki.h"
#include "directory/ps_idnat.h"
#include "mime/message.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace mss;

namespace {

struct Failure {
    std::string message;
};

template <class T>
T need(Result<T> r, std::string_view what = {}) {
    if (!r) throw Failure{what.empty() ? r.error().message : fmt::format("{}: {}", what, r.error().message)};
    return std::move(r).value();
}

Config load(const fs::path& data) { return need(load_config(data), "configuration"); }

std::unique_ptr<store::Store> open_store(const Config& c) {
    return need(store::open_sqlite(c.database(), {.create = false}), c.database().string());
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Failure{fmt::format("cannot read {}", path.string())};
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_private(const fs::path& path, const std::string& text, mode_t mode) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw Failure{fmt::format("cannot write {}", path.string())};
    ::chmod(path.c_str(), mode);
}

std::string read_password_stdin() {
    std::string line;
    std::getline(std::cin, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw Failure{"no password on standard input"};
    return line;
}

void check_address(const Config& c, const std::string& address) {
    auto at = address.rfind('@');
    if (at == std::string::npos || at == 0 || at + 1 == address.size())
        throw Failure{fmt::format("'{}' is not an e-mail address", address)};
    if (!c.serves_domain(address.substr(at + 1)))
        throw Failure{fmt::format("'{}' is not in a domain this server holds (domains in {}: {})", address,
                                  config_path(c.data_dir).string(), fmt::join(c.domains, ", "))};
}

void cmd_init(const fs::path& data, const std::string& domain, const std::string& operator_name) {
    fs::create_directories(data);
    ::chmod(data.c_str(), 0700);
    if (!fs::exists(config_path(data))) write_private(config_path(data), default_config_text(domain), 0600);
    Config c = load(data);
    auto s = need(store::open_sqlite(c.database(), {.create = true}), c.database().string());
    // RFC 5321 4.5.1: every domain receives mail for postmaster; the IT team joins it as members.
    for (auto& d : c.domains) {
        std::string postmaster = "postmaster@" + d;
        if (!s->find_account(postmaster)) need(s->create_account({postmaster, store::MailboxKind::Organisational}));
    }
    need(crypto::ensure_test_igc({c.pki_dir(), operator_name, c.domains.front()}), "test IGC");
    fmt::print("data directory {} ready for {}\n", data.string(), fmt::join(c.domains, ", "));
    fmt::print("test IGC trust chain: {}\n", (c.pki_dir() / "trust.pem").string());
}

struct AccountAdd {
    std::string address, kind, ps_idnat;
    bool password_stdin = false;
    fs::path cert;
};

void cmd_account_add(const fs::path& data, const AccountAdd& a) {
    Config c = load(data);
    check_address(c, a.address);
    auto kind = store::mailbox_kind_from(a.kind);
    if (!kind) throw Failure{"--kind must be personal, organisational or applicative"};
    store::NewAccount n{a.address, *kind, {}, {}, {}};
    if (!a.ps_idnat.empty()) {
        if (*kind != store::MailboxKind::Personal) throw Failure{"--ps-idnat is for personal mailboxes"};
        n.ps_idnat = need(directory::parse_ps_idnat(a.ps_idnat)).value;
    }
    if (a.password_stdin) {
        if (*kind != store::MailboxKind::Personal)
            throw Failure{"only personal mailboxes have a password: members of an organisational mailbox sign in "
                          "as themselves, applicative mailboxes with their certificate"};
        n.password_hash = need(crypto::hash_password(read_password_stdin(), c.password_scrypt_log_n));
    }
    if (!a.cert.empty()) n.cert_sha256 = need(crypto::certificate_sha256(read_file(a.cert)), a.cert.string());
    if (*kind == store::MailboxKind::Applicative && !n.cert_sha256)
        throw Failure{"an applicative mailbox authenticates by certificate: give --cert FILE"};
    auto account = need(open_store(c)->create_account(n));
    fmt::print("{} {} created\n", store::to_string(account.kind), account.address);
}

void cmd_account_list(const fs::path& data) {
    Config c = load(data);
    for (auto& a : need(open_store(c)->list_accounts()))
        fmt::print("{} {} {}{}\n", a.address, store::to_string(a.kind), a.ps_idnat.value_or("-"),
                   a.disabled ? " disabled" : "");
}

void cmd_mail_list(const fs::path& data, const std::string& address, const std::string& folder) {
    Config c = load(data);
    auto s = open_store(c);
    for (auto& m : need(s->list_messages(address, folder))) {
        auto raw = need(s->fetch_message(address, folder, m.uid));
        std::string subject;
        for (auto& f : mime::header_fields(raw))
            if (strcasecmp(f.name.c_str(), "Subject") == 0) subject = mime::decode_header_text(f.value);
        fmt::print("{} {} {}\n", m.uid, m.size, subject);
    }
}

void cmd_pki_issue_org(const fs::path& data, crypto::OrgAuthCliRequest r, const fs::path& out) {
    Config c = load(data);
    r.pki_dir = c.pki_dir();
    auto issued = need(crypto::issue_org_auth_cli(r));
    fs::create_directories(out);
    write_private(out / "cert.pem", issued.certificate_pem, 0644);
    write_private(out / "key.pem", issued.private_key_pem, 0600);
    fmt::print("AUTH_CLI certificate for {} written to {} (sha256 {})\n", r.address, out.string(), issued.sha256_hex);
}

}  // namespace

// Sets the limits when set is true, then prints "STORAGE used/limit KiB, MESSAGES used/limit".
void cmd_account_quota(const fs::path& data, const std::string& address, bool set, const store::Quota& limits) {
    auto store = open_store(load(data));
    if (set) need(store->set_quota(address, limits));
    auto now = need(store->quota(address));
    auto used = need(store->usage(address));
    auto limit = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string("none"); };
    fmt::print("{} STORAGE {}/{} KiB MESSAGES {}/{}\n", address, (used.storage_octets + 1023) / 1024,
               limit(now.storage_kib), used.messages, limit(now.messages));
}

int main(int argc, char** argv) {
    CLI::App app{"mssctl: operate an mssd data directory"};
    app.require_subcommand(1);
    fs::path data;
    app.add_option("--data", data, "data directory")->required();

    auto* init = app.add_subcommand("init", "create configuration, database and test IGC (idempotent)");
    std::string domain, operator_name = "MSSD TEST OPERATOR";
    init->add_option("--domain", domain, "mail domain served")->required();
    init->add_option("--operator", operator_name, "operator name in certificate subjects");

    auto* account = app.add_subcommand("account", "mailboxes");
    account->require_subcommand(1);
    AccountAdd add;
    auto* acc_add = account->add_subcommand("add", "create a mailbox");
    acc_add->add_option("address", add.address)->required();
    acc_add->add_option("--kind", add.kind, "personal|organisational|applicative")->required();
    acc_add->add_option("--ps-idnat", add.ps_idnat, "8 + RPPS or 0 + ADELI (personal)");
    acc_add->add_flag("--password-stdin", add.password_stdin, "read the password from standard input");
    acc_add->add_option("--cert", add.cert, "PEM client certificate (applicative)");
    auto* acc_list = account->add_subcommand("list", "list mailboxes");
    std::string address, member, rights, folder = "INBOX";
    auto* acc_disable = account->add_subcommand("disable", "refuse mail and logins for a mailbox");
    acc_disable->add_option("address", address)->required();
    auto* acc_enable = account->add_subcommand("enable", "enable a disabled mailbox");
    acc_enable->add_option("address", address)->required();
    auto* acc_password = account->add_subcommand("password", "set a personal mailbox's password from stdin");
    acc_password->add_option("address", address)->required();
    auto* members = account->add_subcommand("member", "members of an organisational mailbox");
    members->require_subcommand(1);
    auto* mem_add = members->add_subcommand("add", "add a member or change its rights");
    mem_add->add_option("org", address)->required();
    mem_add->add_option("member", member)->required();
    mem_add->add_option("--rights", rights, "RFC 4314 letters lrswipkxtea, and 0 = may send as the mailbox")
        ->required();
    auto* mem_remove = members->add_subcommand("remove", "remove a member");
    mem_remove->add_option("org", address)->required();
    mem_remove->add_option("member", member)->required();
    auto* mem_list = members->add_subcommand("list", "list members and rights");
    mem_list->add_option("org", address)->required();

    auto* quota = account->add_subcommand("quota", "RFC 9208 limits of a mailbox (all its folders); none given: show");
    quota->add_option("address", address)->required();
    std::optional<uint64_t> storage_kib, message_limit;
    bool no_limit = false;
    quota->add_option("--storage-kib", storage_kib, "storage limit in KiB");
    quota->add_option("--messages", message_limit, "message count limit");
    quota->add_flag("--none", no_limit, "remove both limits");

    auto* mail = app.add_subcommand("mail", "stored messages");
    mail->require_subcommand(1);
    uint32_t uid = 0;
    auto* mail_list = mail->add_subcommand("list", "one line per message: UID SIZE SUBJECT");
    mail_list->add_option("address", address)->required();
    mail_list->add_option("--folder", folder);
    auto* mail_fetch = mail->add_subcommand("fetch", "the raw stored message");
    mail_fetch->add_option("address", address)->required();
    mail_fetch->add_option("uid", uid)->required();
    mail_fetch->add_option("--folder", folder);

    auto* pki = app.add_subcommand("pki", "the test IGC");
    pki->require_subcommand(1);
    auto* pki_chain = pki->add_subcommand("chain", "print the trust chain (PEM)");
    auto* pki_issue = pki->add_subcommand("issue", "issue a certificate");
    pki_issue->require_subcommand(1);
    crypto::OrgAuthCliRequest org;
    fs::path out;
    auto* issue_org = pki_issue->add_subcommand("organisation", "an organisation's AUTH_CLI TLS client certificate");
    issue_org->add_option("--name", org.organisation, "legal entity (O=)")->required();
    issue_org->add_option("--finess", org.finess, "FINESS number (OU=)")->required();
    issue_org->add_option("--cn", org.common_name, "common name (CN=); default: the address");
    issue_org->add_option("--address", org.address, "applicative mailbox it authenticates")->required();
    issue_org->add_option("--out", out, "folder for cert.pem and key.pem")->required();

    CLI11_PARSE(app, argc, argv);
    try {
        if (*init) cmd_init(data, domain, operator_name);
        else if (*acc_add) cmd_account_add(data, add);
        else if (*acc_list) cmd_account_list(data);
        else if (*acc_disable || *acc_enable) {
            need(open_store(load(data))->set_disabled(address, acc_disable->parsed()));
            fmt::print("{} {}\n", address, acc_disable->parsed() ? "disabled" : "enabled");
        } else if (*acc_password) {
            Config c = load(data);
            auto hash = need(crypto::hash_password(read_password_stdin(), c.password_scrypt_log_n));
            need(open_store(c)->set_password_hash(address, hash));
            fmt::print("password of {} changed\n", address);
        } else if (*mem_add || *mem_remove) {
            need(open_store(load(data))->set_member(address, member, mem_add->parsed() ? rights : ""));
            fmt::print("{} on {}: {}\n", member, address, mem_add->parsed() ? rights : "removed");
        } else if (*mem_list) {
            for (auto& m : need(open_store(load(data))->members(address))) fmt::print("{} {}\n", m.address, m.rights);
        } else if (*quota) {
            cmd_account_quota(data, address, no_limit || storage_kib || message_limit,
                              store::Quota{storage_kib, message_limit});
        } else if (*mail_list) cmd_mail_list(data, address, folder);
        else if (*mail_fetch) std::cout << need(open_store(load(data))->fetch_message(address, folder, uid));
        else if (*pki_chain) std::cout << read_file(load(data).pki_dir() / "trust.pem");
        else if (*issue_org) {
            if (org.common_name.empty()) org.common_name = org.address;
            cmd_pki_issue_org(data, org, out);
        }
    } catch (const Failure& f) {
        std::cerr << "mssctl: " << f.message << "\n";
        return 1;
    } catch (const fs::filesystem_error& e) {
        std::cerr << "mssctl: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
