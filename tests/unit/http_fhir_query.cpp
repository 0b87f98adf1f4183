// The FHIR search query reader: decoding, modifiers, comma lists and their escapes, bounds.
#include <doctest/doctest.h>

#include "http/parse/fhir_query.h"

using namespace mss::http;

TEST_CASE("parameters, modifiers and comma lists are read in order") {
    auto r = parse_search_query("family=Dupont&mailbox-mss:contains=chu-x&identifier=a,b");
    REQUIRE(r.ok());
    REQUIRE(r->size() == 3);
    CHECK((*r)[0].name == "family");
    CHECK((*r)[0].modifier.empty());
    CHECK((*r)[0].values == std::vector<std::string>{"Dupont"});
    CHECK((*r)[1].name == "mailbox-mss");
    CHECK((*r)[1].modifier == "contains");
    CHECK((*r)[2].values == std::vector<std::string>{"a", "b"});
}

TEST_CASE("percent escapes and plus are decoded, before the value's list is split") {
    auto r = parse_search_query("identifier=urn%3Aoid%3A1.2.250.1.71.4.2.1%7C810001045367&name=L%C3%A9ger+Jean");
    REQUIRE(r.ok());
    CHECK((*r)[0].values == std::vector<std::string>{"urn:oid:1.2.250.1.71.4.2.1|810001045367"});
    CHECK((*r)[1].values == std::vector<std::string>{"L\xC3\xA9ger Jean"});
    auto encoded_comma = parse_search_query("name=a%2Cb");
    REQUIRE(encoded_comma.ok());
    CHECK((*encoded_comma)[0].values.size() == 2);  // %2C is a comma like any other (FHIR R4 3.1.1.5.7)
}

TEST_CASE("a backslash escapes a comma, a bar, a dollar and itself") {
    auto r = parse_search_query("name=a\\,b,c\\\\,d\\x");
    REQUIRE(r.ok());
    CHECK((*r)[0].values == std::vector<std::string>{"a,b", "c\\", "d\\x"});
}

TEST_CASE("repeated parameters stay apart; empty pairs are skipped") {
    auto r = parse_search_query("given=a&&given=b&");
    REQUIRE(r.ok());
    REQUIRE(r->size() == 2);
    CHECK((*r)[1].values == std::vector<std::string>{"b"});
    CHECK(parse_search_query("").value().empty());
}

TEST_CASE("malformed input is refused with its reason") {
    CHECK(parse_search_query("family=%zz").error().message.find("percent") != std::string::npos);
    CHECK(parse_search_query("family=%4").error().message.find("percent") != std::string::npos);
    CHECK(parse_search_query("family=a%00b").error().message.find("NUL") != std::string::npos);
    CHECK_FALSE(parse_search_query("=x").ok());
    CHECK_FALSE(parse_search_query(":contains=x").ok());
    CHECK_FALSE(parse_search_query("fam ily=x").ok());
    CHECK_FALSE(parse_search_query("family:con<tains=x").ok());
}

TEST_CASE("every bound is kept") {
    QueryLimits limits{.max_length = 64, .max_params = 2, .max_values = 3, .max_value = 5};
    CHECK(parse_search_query(std::string(65, 'a'), limits).error().message.find("longer than 64") != std::string::npos);
    CHECK(parse_search_query("a=1&b=2&c=3", limits).error().message.find("more than 2 parameters") != std::string::npos);
    CHECK(parse_search_query("a=1,2,3,4", limits).error().message.find("more than 3 values") != std::string::npos);
    CHECK(parse_search_query("a=123456", limits).error().message.find("longer than 5") != std::string::npos);
    CHECK(parse_search_query("a=1,2,3&b=12345", limits).ok());
}
