// The Disposition-Notification-Options reader (RFC 8098 2.2) and Direct's final delivery request:
// the forms senders write, folded values, quoted strings, and every malformed shape refused.
#include <doctest/doctest.h>

#include <string>

#include "pipeline/disposition_options.h"

using namespace mss::pipeline;

TEST_CASE("Direct's request as the implementation guide writes it") {
    auto o = parse_disposition_options("X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,true");
    REQUIRE(o.ok());
    REQUIRE(o->size() == 1);
    CHECK((*o)[0].attribute == "X-DIRECT-FINAL-DESTINATION-DELIVERY");
    CHECK_FALSE((*o)[0].required);
    CHECK((*o)[0].values == std::vector<std::string>{"true"});
    CHECK(asks_final_destination_delivery(*o));
}

TEST_CASE("white space, folding, case, quoted values and several parameters") {
    auto o = parse_disposition_options(" signed-receipt-protocol = optional , pkcs7-signature ;\r\n\t"
                                       "x-direct-final-destination-delivery=REQUIRED,\"TRUE\" ; x-other=optional,a,b,\"c\\\"d\"");
    REQUIRE(o.ok());
    REQUIRE(o->size() == 3);
    CHECK((*o)[1].required);
    CHECK((*o)[2].values == std::vector<std::string>{"a", "b", "c\"d"});
    CHECK(asks_final_destination_delivery(*o));
}

TEST_CASE("the option present with false, or absent, asks nothing") {
    CHECK_FALSE(asks_final_destination_delivery(*parse_disposition_options("X-DIRECT-FINAL-DESTINATION-DELIVERY=optional,false")));
    CHECK_FALSE(asks_final_destination_delivery(*parse_disposition_options("signed-receipt-protocol=optional,pkcs7-signature")));
}

TEST_CASE("malformed values are errors, never guesses") {
    for (std::string bad : {"", " ", "=optional,true", "x-direct-final-destination-delivery", "x=maybe,true",
                            "x=optional", "x=optional,", "x=optional,true;", "x=optional,true junk",
                            "x=optional,\"unterminated", "x=optional,true;X=required,false", "x y=optional,true",
                            "x=optional,true,,false", "(comment) x=optional,true"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_disposition_options(bad).ok());
    }
}

TEST_CASE("bounds: value length, parameters, values") {
    CHECK_FALSE(parse_disposition_options(std::string(kMaxDispositionOptionsValue + 1, 'x')).ok());
    std::string many;
    for (std::size_t i = 0; i <= kMaxDispositionOptions; ++i) many += (i ? ";" : "") + ("p" + std::to_string(i)) + "=optional,v";
    CHECK_FALSE(parse_disposition_options(many).ok());
    std::string values = "x=optional";
    for (std::size_t i = 0; i <= kMaxDispositionOptionValues; ++i) values += ",v";
    CHECK_FALSE(parse_disposition_options(values).ok());
}
