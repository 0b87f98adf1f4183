// FETCH BODY[section] bytes: whole message, HEADER, TEXT, HEADER.FIELDS (.NOT), partial windows.
#include <doctest/doctest.h>

#include "imap/sections.h"

using namespace mss::imap;

namespace {
const std::string kMessage =
    "Return-Path: <lab@x.fr>\r\nSubject: CR\r\n continued\r\nFrom: lab@x.fr\r\n\r\nbody line\r\n";
Section of(SectionText text, std::vector<std::string> fields = {}) { return Section{{}, text, std::move(fields)}; }
}  // namespace

TEST_CASE("whole, header and text") {
    CHECK(*section_bytes(kMessage, of(SectionText::None)) == kMessage);
    CHECK(*section_bytes(kMessage, of(SectionText::Header)) ==
          "Return-Path: <lab@x.fr>\r\nSubject: CR\r\n continued\r\nFrom: lab@x.fr\r\n\r\n");
    CHECK(*section_bytes(kMessage, of(SectionText::Text)) == "body line\r\n");
    CHECK(*section_bytes("no blank line", of(SectionText::Text)) == "");
}

TEST_CASE("header fields, case-insensitive, with continuation lines") {
    CHECK(*section_bytes(kMessage, of(SectionText::HeaderFields, {"SUBJECT"})) == "Subject: CR\r\n continued\r\n\r\n");
    CHECK(*section_bytes(kMessage, of(SectionText::HeaderFieldsNot, {"SUBJECT", "RETURN-PATH"})) ==
          "From: lab@x.fr\r\n\r\n");
}

TEST_CASE("MIME parts are not served yet; partial windows") {
    CHECK_FALSE(section_bytes(kMessage, Section{{1}, SectionText::None, {}}));
    CHECK(partial_window("0123456789", Partial{2, 3}) == "234");
    CHECK(partial_window("0123456789", Partial{8, 10}) == "89");
    CHECK(partial_window("0123456789", Partial{20, 1}).empty());
}
