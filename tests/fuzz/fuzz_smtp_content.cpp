// libFuzzer target: DATA and BDAT readers. The input is fed whole and in slices chosen by its first
// bytes; both feeds must agree on consumed length, verdict and message (slicing must not matter).
#include <cstdint>
#include <string>
#include <string_view>

#include "smtp/parse/content.h"

namespace {
struct Outcome {
    std::size_t consumed;
    bool done;
    std::string verdict;
    std::string message;
    bool operator==(const Outcome&) const = default;
};

Outcome read_data(std::string_view input, std::size_t step) {
    mss::smtp::DataReader r({4096, 1000});
    std::size_t consumed = 0;
    while (consumed < input.size() && !r.done()) {
        auto slice = input.substr(consumed, step);
        std::size_t n = r.feed(slice);
        consumed += n;
        if (n < slice.size() && !r.done()) __builtin_trap();  // stops early only at the end
    }
    std::string verdict = r.verdict() ? r.verdict()->enhanced + r.verdict()->text : "";
    return {consumed, r.done(), verdict, r.done() ? r.take_message() : ""};
}

std::string read_chunks(std::string_view input, std::size_t step) {
    mss::smtp::ChunkReader r({4096, 1000});
    for (std::size_t p = 0; p < input.size(); p += step) r.feed(input.substr(p, step));
    std::string message = r.take_message();
    return (r.verdict() ? r.verdict()->enhanced : "ok") + message;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    std::size_t step = data[0] % 17 + 1;
    std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (!(read_data(input, input.size() + 1) == read_data(input, step))) __builtin_trap();
    if (read_chunks(input, input.size() + 1) != read_chunks(input, step)) __builtin_trap();
    auto whole = read_data(input, input.size() + 1);
    if (whole.message.size() > 4096) __builtin_trap();
    return 0;
}
