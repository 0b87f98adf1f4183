// FETCH sections in mime's terms, and partial windows (the octets themselves: tests/unit/mime_structure.cpp).
#include <doctest/doctest.h>

#include "imap/sections.h"

using namespace mss::imap;

TEST_CASE("FETCH sections map onto mime section specs") {
    auto spec = mime_section(Section{{2, 1}, SectionText::HeaderFieldsNot, {"SUBJECT", "FROM"}});
    CHECK(spec.part == std::vector<uint32_t>{2, 1});
    CHECK(spec.text == mss::mime::SectionText::HeaderFieldsNot);
    CHECK(spec.fields == std::vector<std::string>{"SUBJECT", "FROM"});
    CHECK(mime_section(Section{{1}, SectionText::Mime, {}}).text == mss::mime::SectionText::Mime);
    CHECK(mime_section(Section{{}, SectionText::Text, {}}).text == mss::mime::SectionText::Text);
    CHECK(mime_section(Section{}).text == mss::mime::SectionText::None);
}

TEST_CASE("partial windows") {
    CHECK(partial_window("0123456789", std::nullopt) == "0123456789");
    CHECK(partial_window("0123456789", Partial{2, 3}) == "234");
    CHECK(partial_window("0123456789", Partial{8, 10}) == "89");
    CHECK(partial_window("0123456789", Partial{20, 1}).empty());
}
