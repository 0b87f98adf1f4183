// Fixtures of the cda unit tests: the files tests/tools/make_cda_fixtures.py wrote, read whole.
#pragma once
#include <fstream>
#include <sstream>
#include <string>

inline std::string cda_fixture(const std::string& name) {
    std::ifstream in(std::string(MSS_CDA_FIXTURES) + "/" + name, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// text with the first occurrence of from replaced by to (the test fails loudly if from is absent).
inline std::string replaced(std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    if (at == std::string::npos) return "<<fixture does not hold " + from + ">>";
    return text.replace(at, from.size(), to);
}
