// JSON nesting depth: what the JWT and PDSm readers count before parsing.
#include <doctest/doctest.h>

#include <string>

#include "core/json_depth.h"

TEST_CASE("json_depth skips brackets inside strings and escapes") {
    CHECK(mss::json_depth(R"({"a":[1,{"b":"[[[[{{{{"}]})") == 3);
    CHECK(mss::json_depth(R"("\"[")") == 0);
    CHECK(mss::json_depth(R"({"a":"\\"}[)") == 1);
}

TEST_CASE("json_depth ignores stray closers instead of going negative") {
    CHECK(mss::json_depth("]]]]{{{") == 3);
}

TEST_CASE("json_depth stops once past the limit") {
    std::string deep(1000, '[');
    CHECK(mss::json_depth(deep) == 1000);
    CHECK(mss::json_depth(deep, 16) == 17);
    CHECK(mss::json_depth("[[]]", 16) == 2);
}
