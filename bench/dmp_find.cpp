// The ITI-67 handler of the embedded DMP in process, without TLS or sockets: a DMP file holding
// --documents documents of one patient (10 classes in turn), then --searches calls of the real
// PDSm route for each kind of search (all, one category, one category and a period), timed around
// the handler (access rules, SQLite, JSON, the trace written). Prints one line per kind:
// `kind= searches= total= p50_ms= p99_ms= max_ms= cpu_p50_ms= cpu_p99_ms=` (wall and this thread's CPU time;
// the trace's commit is in both, its fsync wait in the wall time only).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <time.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <nlohmann/json.hpp>
#include <variant>

#include "dmp/pdsm_routes.h"
#include "percentile.h"

using namespace mss;

namespace {

// CPU time of this thread: what a search costs whatever else the machine runs.
double thread_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_dmp_find: ITI-67 handler latency on a DMP of N documents"};
    int documents = 1000, searches = 2000, threads = 1;
    std::string dir = "/tmp/bench-dmp-find";
    app.add_option("--documents", documents);
    app.add_option("--searches", searches, "per thread");
    app.add_option("--threads", threads, "concurrent callers")->check(CLI::Range(1, 64));
    app.add_option("--dir", dir, "a folder for dmp.db (emptied first)");
    CLI11_PARSE(app, argc, argv);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto dmp = std::move(dmp::open_sqlite_dmp(std::filesystem::path(dir) / "dmp.db")).value();
    const std::string ins = "280017512345622", traitant = "810000000023";
    dmp::Patient p;
    p.ins = ins;
    p.ins_oid = dmp::kInsNirTestOid;
    p.family = "DUVAL";
    p.given = "Claire";
    p.birth_date = "19800115";
    p.gender = "F";
    p.consent = true;
    p.medecin_traitant = traitant;
    const dmp::Actor feed{dmp::Actor::Kind::Feed, "CN=labo"};
    if (!dmp->add_patient(p, feed)) return 1;
    const char* classes[] = {"10", "11", "31", "42", "43", "44", "45", "52", "60", "90"};
    for (int i = 0; i < documents; ++i) {
        dmp::Deposit d;
        d.document.unique_id = fmt::format("1.2.250.1.999.77.{}", i);
        d.document.patient_ins = ins;
        d.document.author = "810000000015";
        d.document.type = {"2.16.840.1.113883.6.1", "11502-2", "CR d'examens biologiques"};
        d.document.class_code = {"1.2.250.1.213.1.1.4.1", classes[i % 10], ""};
        d.document.format = {"1.2.250.1.213.1.1.4.2.282", "urn:ihe:lab:xd-lab:2008", ""};
        d.document.title = "CR de biologie";
        d.document.creation_time = "2026-12-01T10:00:00+01:00";
        d.document.service_start = fmt::format("2026-{:02d}-01", 1 + i % 12);
        d.document.content_type = "text/xml";
        d.content = std::string(4096, 'x');
        auto r = dmp->deposit({d}, feed);
        if (!r || !std::holds_alternative<std::vector<dmp::DepositReceipt>>(*r)) return 1;
    }
    auto matrix = std::make_shared<const dmp::AccessMatrix>(dmp::AccessMatrix::parse("10\tMédecin\t*\n").value());
    http::Router router;
    auto authorities = std::make_shared<const dmp::ProfessionalAuthorities>(
        dmp::ProfessionalAuthorities{"CN=AC IGC-SANTE TEST PERSONNES,OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR"});
    auto deposit = dmp::embedded_deposit(*dmp);
    dmp::add_pdsm_routes(router, {*dmp, *deposit, [matrix] { return matrix; },
                                  [](std::string_view) { return std::vector<std::string>{"10"}; },
                                  [](std::string_view) { return dmp::BearerVerdict{}; },
                                  [authorities] { return authorities; }});
    const std::string base = "patient.identifier=urn%3Aoid%3A1.2.250.1.213.1.4.10%7C" + ins + "&status=current";
    for (auto [kind, extra] : {std::pair{"all", ""}, {"category", "&category=11"},
                               {"narrow", "&category=11&period=ge2026-12-01"}}) {
        http::Request request;
        request.method = "GET";
        request.path = "/dmp/fhir/DocumentReference";
        request.query = base + extra;
        request.fields.push_back({"Host", "127.0.0.1:8443"});
        request.client_certificate = {.presented = true, .verified = true, .reason = "", .verify_error = "",
                                      .subject = "CN=" + traitant + ",OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR",
                                      .issuer = "CN=AC IGC-SANTE TEST PERSONNES,OU=IGC-SANTE TEST,O=MSSD TEST OPERATOR,C=FR",
                                      .sha256_hex = ""};
        auto found = router.find("GET", request.path);
        const auto& handler = std::get<const http::Router::Route*>(found)->handler;
        std::vector<double> ms, cpu_ms;
        std::size_t total = 0, bytes = 0;
        std::mutex merge;
        bool failed = false;
        auto caller = [&](int index) {
            std::vector<double> my_ms, my_cpu;
            for (int i = 0; i < searches; ++i) {
                auto t0 = std::chrono::steady_clock::now();
                double c0 = thread_cpu_ms();
                auto response = handler(request);
                my_cpu.push_back(thread_cpu_ms() - c0);
                my_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
                std::lock_guard lock(merge);
                failed = failed || response.status != 200;
                if (index == 0 && i == 0 && !failed)
                    total = nlohmann::json::parse(response.body)["total"].get<std::size_t>(), bytes = response.body.size();
            }
            std::lock_guard lock(merge);
            ms.insert(ms.end(), my_ms.begin(), my_ms.end());
            cpu_ms.insert(cpu_ms.end(), my_cpu.begin(), my_cpu.end());
        };
        auto started = std::chrono::steady_clock::now();
        std::vector<std::thread> callers;
        for (int t = 0; t < threads; ++t) callers.emplace_back(caller, t);
        for (auto& t : callers) t.join();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (failed) return 1;
        double max = *std::max_element(ms.begin(), ms.end());
        double p50 = percentile(ms, 0.5), p99 = percentile(ms, 0.99);
        double cpu_p50 = percentile(cpu_ms, 0.5), cpu_p99 = percentile(cpu_ms, 0.99);
        fmt::print("kind={} threads={} searches={} total={} bytes={} p50_ms={:.2f} p99_ms={:.2f} max_ms={:.2f} "
                   "cpu_p50_ms={:.2f} cpu_p99_ms={:.2f} rate={:.0f}\n",
                   kind, threads, searches, total, bytes, p50, p99, max, cpu_p50, cpu_p99,
                   static_cast<double>(searches) * threads / seconds);
    }
    return 0;
}
