// RCPT-time directory look-ups against a real directory.db: the recipient policy's two queries
// (is the domain whitelisted, is the address listed) for addresses drawn from the directory itself,
// from T threads. Prints lookups= threads= per_s= p50_us= p99_us= misses=.
#include <CLI/CLI.hpp>
#include <chrono>
#include <fmt/format.h>
#include <random>
#include <thread>

#include "bench/percentile.h"
#include "directory/directory.h"

int main(int argc, char** argv) {
    CLI::App app{"bench_directory_lookup: RCPT directory look-ups on a directory.db"};
    std::string file;
    unsigned lookups = 200000, threads = 2;
    app.add_option("--db", file, "directory.db made by mssctl directory import")->required();
    app.add_option("--lookups", lookups, "look-ups per thread");
    app.add_option("--threads", threads, "threads looking up at once");
    CLI11_PARSE(app, argc, argv);

    auto dir = mss::directory::open_sqlite_directory(file, {.read_only = true});
    if (!dir) return fmt::print(stderr, "{}\n", dir.error().message), 1;
    mss::directory::SearchQuery all;
    all.limit = 100000;
    auto sample = dir.value()->search(all);
    if (!sample || sample->empty()) return fmt::print(stderr, "empty directory\n"), 1;

    std::vector<std::vector<double>> latencies(threads);
    std::vector<unsigned> misses(threads);
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            std::mt19937 rng(t);
            latencies[t].reserve(lookups);
            for (unsigned i = 0; i < lookups; ++i) {
                // One in ten is an address nobody holds, as typing errors would be.
                std::string address = (*sample)[rng() % sample->size()].address;
                if (i % 10 == 0) address.insert(0, "x");
                auto t0 = std::chrono::steady_clock::now();
                auto domain = address.substr(address.find('@') + 1);
                auto trusted = dir.value()->domain_whitelisted(domain);
                auto listed = dir.value()->find_mailbox(address);
                auto t1 = std::chrono::steady_clock::now();
                if (!trusted || !listed) std::abort();
                if (!*listed) ++misses[t];
                latencies[t].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
            }
        });
    for (auto& w : workers) w.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> all_latencies;
    unsigned missed = 0;
    for (unsigned t = 0; t < threads; ++t) {
        all_latencies.insert(all_latencies.end(), latencies[t].begin(), latencies[t].end());
        missed += misses[t];
    }
    fmt::print("lookups={} threads={} per_s={:.0f} p50_us={:.1f} p99_us={:.1f} misses={}\n", all_latencies.size(),
               threads, static_cast<double>(all_latencies.size()) / seconds, percentile(all_latencies, 0.50),
               percentile(all_latencies, 0.99), missed);
    return 0;
}
