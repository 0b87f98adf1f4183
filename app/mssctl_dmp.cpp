// `mssctl dmp ...` (see mssctl_dmp.h): checks arguments (INS and its key, PS_IdNat, dates), calls
// dmp::Dmp as the operator, prints one line per record. Trusts the operator.
#include "app/mssctl_dmp.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>
#include <iostream>
#include <memory>

#include "core/config.h"
#include "directory/checks.h"
#include "directory/ps_idnat.h"
#include "dmp/access.h"
#include "dmp/dmp.h"
#include "store/store.h"

namespace mss::app {
namespace {

struct Refused {
    std::string message;
};

template <class T>
T need(Result<T> r) {
    if (!r) throw Refused{r.error().message};
    return std::move(r).value();
}

const dmp::Actor kOperator{dmp::Actor::Kind::Operator, "mssctl"};

struct DmpCli {
    CLI::App *patient_add = nullptr, *patient_show = nullptr, *documents = nullptr, *traces = nullptr;
    CLI::App *block = nullptr, *unblock = nullptr, *oppose = nullptr, *mask = nullptr, *unmask = nullptr;
    CLI::App* filing = nullptr;
    std::string mailbox, filing_state;
    dmp::Patient patient;
    std::string ins, ps_idnat, document, reader;
    bool consent = false, no_emergency = false, withdraw = false;

    void attach(CLI::App& app) {
        auto* d = app.add_subcommand("dmp", "the embedded DMP: patients, documents, traces");
        d->require_subcommand(1);
        auto* p = d->add_subcommand("patient", "patients' DMPs");
        p->require_subcommand(1);
        patient_add = p->add_subcommand("add", "create a patient's DMP (with the patient's consent)");
        patient_add->add_option("--ins", patient.ins, "INS matricule: 13 characters and the 2-digit key")->required();
        patient_add->add_option("--oid", patient.ins_oid, "INS OID: 1.2.250.1.213.1.4.8 (NIR), .9 (NIA), .10/.11 (test)")
            ->required();
        patient_add->add_option("--family", patient.family)->required();
        patient_add->add_option("--given", patient.given)->required();
        patient_add->add_option("--birth", patient.birth_date, "YYYYMMDD")->required();
        patient_add->add_option("--gender", patient.gender, "F|M")->required()->check(CLI::IsMember({"F", "M"}));
        patient_add->add_flag("--consent", consent, "the patient consents to the DMP (required)");
        patient_add->add_flag("--no-emergency", no_emergency, "the patient refuses emergency access (bris de glace)");
        patient_add->add_option("--medecin-traitant", patient.medecin_traitant, "PS_IdNat of the médecin traitant");
        patient_add->add_option("--notify", patient.notify_address,
                                "address told of each new document in the DMP (nothing of its content)");
        patient_show = p->add_subcommand("show", "a patient's DMP: traits, choices, blocked professionals");
        patient_show->add_option("--ins", ins)->required();
        documents = d->add_subcommand("documents", "one line per document: id class type date author visibility status");
        documents->add_option("--ins", ins)->required();
        documents->add_option("--for", reader, "the patient's side reading through the operator: only what it may see, traced")
            ->check(CLI::IsMember({"patient", "legal-representative"}));
        traces = d->add_subcommand("traces", "one line per traced act: time action actor document detail");
        traces->add_option("--ins", ins)->required();
        block = d->add_subcommand("block", "the patient blocks a professional (never the médecin traitant)");
        unblock = d->add_subcommand("unblock", "the patient unblocks a professional");
        for (auto* c : {block, unblock}) {
            c->add_option("--ins", ins)->required();
            c->add_option("--ps-idnat", ps_idnat)->required();
        }
        oppose = d->add_subcommand("oppose", "the patient opposes deposits (--withdraw: no longer)");
        oppose->add_option("--ins", ins)->required();
        oppose->add_flag("--withdraw", withdraw);
        mask = d->add_subcommand("mask", "the patient masks a document from professionals (MASQUE_PS)");
        unmask = d->add_subcommand("unmask", "the patient unmasks a document");
        for (auto* c : {mask, unmask}) c->add_option("document", document, "document id")->required();
        filing = d->add_subcommand("filing", "a mailbox's filing of the CDA documents it sends into the DMP (on by default)");
        filing->add_option("address", mailbox, "the sending mailbox")->required();
        filing->add_option("state", filing_state, "on|off")->required()->check(CLI::IsMember({"on", "off"}));
    }

    std::optional<int> run(const std::filesystem::path& data) {
        if (!patient_add->parsed() && !patient_show->parsed() && !documents->parsed() && !traces->parsed() &&
            !block->parsed() && !unblock->parsed() && !oppose->parsed() && !mask->parsed() && !unmask->parsed() &&
            !filing->parsed())
            return std::nullopt;
        try {
            auto config = need(load_config(data));
            if (filing->parsed()) {
                // The setting is the mailbox's: it lives in the store beside the account.
                auto store = need(store::open_sqlite(config.database(), {.create = false}));
                need(store->set_filing(mailbox, filing_state == "on"));
                fmt::print("filing into the DMP for {}: {}\n", mailbox, filing_state);
                return 0;
            }
            auto dmp = need(dmp::open_sqlite_dmp(config.data_dir / "dmp.db"));
            dispatch(*dmp);
        } catch (const Refused& r) {
            std::cerr << "mssctl: " << r.message << "\n";
            return 1;
        }
        return 0;
    }

    void dispatch(dmp::Dmp& dmp) {
        if (patient_add->parsed()) add_patient(dmp);
        else if (patient_show->parsed()) show_patient(dmp);
        else if (documents->parsed()) list_documents(dmp);
        else if (traces->parsed()) list_traces(dmp);
        else if (block->parsed() || unblock->parsed()) {
            need(directory::parse_ps_idnat(ps_idnat));
            need(dmp.set_blocked(ins, ps_idnat, block->parsed(), kOperator));
            fmt::print("{} {} in the DMP of {}\n", ps_idnat, block->parsed() ? "blocked" : "unblocked", ins);
        } else if (oppose->parsed()) {
            need(dmp.set_opposition(ins, !withdraw, kOperator));
            fmt::print("DMP of {}: {}\n", ins, withdraw ? "deposits accepted" : "deposits refused (opposition)");
        } else {
            auto doc = need(dmp.document(document));
            if (!doc) throw Refused{"no such document"};
            auto labels = doc->visibility;
            std::erase(labels, std::string(dmp::kMasquePs));
            if (mask->parsed()) labels.push_back(dmp::kMasquePs);
            auto changed = need(dmp.set_visibility(document, labels, kOperator));
            if (auto* r = std::get_if<dmp::Refusal>(&changed)) throw Refused{r->message};
            fmt::print("{} {}\n", document, mask->parsed() ? "masked" : "unmasked");
        }
    }

    void add_patient(dmp::Dmp& dmp) {
        if (!consent) throw Refused{"a DMP is created only with the patient's consent (--consent)"};
        if (!dmp::is_ins_oid(patient.ins_oid)) throw Refused{fmt::format("{} is not an INS OID", patient.ins_oid)};
        if (!directory::ins_valid(patient.ins)) throw Refused{fmt::format("{} is not a valid INS (its key)", patient.ins)};
        if (patient.birth_date.size() != 8 || patient.birth_date.find_first_not_of("0123456789") != std::string::npos)
            throw Refused{"--birth is YYYYMMDD"};
        if (!patient.medecin_traitant.empty()) need(directory::parse_ps_idnat(patient.medecin_traitant));
        patient.consent = true;
        patient.emergency_allowed = !no_emergency;
        need(dmp.add_patient(patient, kOperator));
        fmt::print("DMP of {} {} ({}) created; emergency access {}\n", patient.given, patient.family, patient.ins,
                   patient.emergency_allowed ? "allowed" : "refused");
    }

    void show_patient(dmp::Dmp& dmp) {
        auto p = need(dmp.patient(ins));
        if (!p) throw Refused{fmt::format("no DMP for INS {}", ins)};
        fmt::print("{} {} {} {} {} {} consent={} emergency={} opposition={} medecin-traitant={}\n", p->ins, p->ins_oid,
                   p->family, p->given, p->birth_date, p->gender, p->consent ? "yes" : "no",
                   p->emergency_allowed ? "allowed" : "refused", p->opposed_to_deposits ? "yes" : "no",
                   p->medecin_traitant.empty() ? "-" : p->medecin_traitant);
        for (const auto& b : need(dmp.blocked(ins))) fmt::print("blocked {}\n", b);
    }

    void list_documents(dmp::Dmp& dmp) {
        dmp::DocumentQuery q{.ins = ins, .statuses = {"current", "superseded"}};
        auto found = need(dmp.find(q));
        if (!reader.empty()) found = patient_side_view(dmp, std::move(found));
        for (const auto& d : found) {
            std::string visibility;
            for (const auto& v : d.visibility) visibility += (visibility.empty() ? "" : ",") + v;
            fmt::print("{} {} {} {} {} {} {} {}\n", d.id, d.class_code.code, d.type.code,
                       d.creation_time.empty() ? "-" : d.creation_time, d.author, visibility.empty() ? "normal" : visibility,
                       d.status, d.unique_id);
        }
    }

    // What the patient or a legal representative sees, the reading traced in their name.
    std::vector<dmp::Document> patient_side_view(dmp::Dmp& dmp, std::vector<dmp::Document> found) {
        if (!need(dmp.patient(ins))) throw Refused{fmt::format("no DMP for INS {}", ins)};
        auto side = reader == "patient" ? dmp::PatientSide::Patient : dmp::PatientSide::LegalRepresentative;
        std::erase_if(found, [side](const dmp::Document& d) { return !dmp::may_see(d.summary(), side); });
        need(dmp.trace({.ins = ins, .action = "search", .actor_kind = std::string(dmp::to_string(side)), .actor = "mssctl",
                        .detail = fmt::format("document list through the operator ({} visible)", found.size())}));
        return found;
    }

    void list_traces(dmp::Dmp& dmp) {
        for (const auto& t : need(dmp.traces(ins)))
            fmt::print("{:%Y-%m-%dT%H:%M:%SZ} {} {} {} {} {}{}\n", fmt::gmtime(static_cast<std::time_t>(t.at)), t.action,
                       t.actor_kind.empty() ? "-" : t.actor_kind, t.actor.empty() ? "-" : t.actor,
                       t.document.empty() ? "-" : t.document, t.emergency ? "[bris de glace] " : "", t.detail);
    }
};

}  // namespace

std::function<std::optional<int>(const std::filesystem::path& data)> attach_dmp_commands(CLI::App& app) {
    auto cli = std::make_shared<DmpCli>();
    cli->attach(app);
    return [cli](const std::filesystem::path& data) { return cli->run(data); };
}

}  // namespace mss::app
