// Parse cost of the cda/ readers: read_xdm on an XDM archive and read_cda_header on a CDA, both
// made by tests/tools/make_xdm.py, each parsed N times in one thread. Prints per parse the median
// and p99 in microseconds of wall time and of the thread's CPU time (the figure that holds on a
// loaded machine), and the sizes. Reads the two files once; nothing else.
#include <CLI/CLI.hpp>
#include <chrono>
#include <fmt/format.h>
#include <ctime>
#include <fstream>
#include <sstream>

#include "bench/percentile.h"
#include "cda/xdm.h"

namespace {

std::string slurp(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

double cpu_us() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

struct Samples {
    std::vector<double> wall, cpu;
};

template <class F>
Samples timed(unsigned runs, F&& parse) {
    Samples s;
    for (unsigned i = 0; i < runs; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        double c0 = cpu_us();
        if (!parse()) throw std::runtime_error("refused");
        s.cpu.push_back(cpu_us() - c0);
        s.wall.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    return s;
}

void report(const char* what, std::size_t octets, Samples s) {
    fmt::print("{} octets={} runs={} wall_median_us={:.1f} wall_p99_us={:.1f} cpu_median_us={:.1f} cpu_p99_us={:.1f}\n",
               what, octets, s.wall.size(), percentile(s.wall, 0.5), percentile(s.wall, 0.99), percentile(s.cpu, 0.5),
               percentile(s.cpu, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"bench_cda_parse: XDM and CDA header parse cost"};
    std::string xdm_file, cda_file;
    unsigned runs = 1000;
    app.add_option("--xdm", xdm_file, "an IHE_XDM.ZIP (make_xdm.py bio discharge -o F)")->required();
    app.add_option("--cda", cda_file, "a bare CDA (make_xdm.py bio --bare --pad-kib 1024 -o F)")->required();
    app.add_option("--runs", runs, "parses of each");
    CLI11_PARSE(app, argc, argv);
    std::string xdm = slurp(xdm_file), cda = slurp(cda_file);
    try {
        report("xdm", xdm.size(), timed(runs, [&] { return mss::cda::read_xdm(xdm).ok(); }));
        report("cda_header", cda.size(), timed(runs, [&] { return mss::cda::read_cda_header(cda).ok(); }));
    } catch (const std::exception& e) {
        return fmt::print(stderr, "a parse was refused: {}\n", e.what()), 1;
    }
    return 0;
}
