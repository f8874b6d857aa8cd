// Value <-> JSON: the mapping of hpcexec/value_json.hpp and its errors.
#include <hpcexec/errors.hpp>
#include <hpcexec/value_json.hpp>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cmath>
#include <limits>

using namespace hpcexec;

namespace {

std::string to_json_error(const Value& value) {
    try {
        to_json(value);
    } catch (const SerializationError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a SerializationError for " << value.repr();
    return {};
}

}  // namespace

TEST(ValueJson, MapsEveryKindJsonCanHold) {
    Value value = Dict{{{"none", Value()},
                        {"bool", true},
                        {"int", -5},
                        {"float", 1.0},
                        {"str", "h\u00e9"},
                        {"list", List{1, List{}}},
                        {"dict", Dict{{{"k", "v"}}}},
                        {"u64", BigInt{"18446744073709551615"}}}};
    EXPECT_EQ(boost::json::serialize(to_json(value)),
              R"({"none":null,"bool":true,"int":-5,"float":1E0,"str":"hé","list":[1,[]],"dict":{"k":"v"},)"
              R"("u64":18446744073709551615})");
    EXPECT_EQ(from_json(to_json(value)), value);
}

TEST(ValueJson, TuplesBecomeArraysAndComeBackAsLists) {
    EXPECT_EQ(boost::json::serialize(to_json(Tuple{{1, "a"}})), R"([1,"a"])");
    EXPECT_EQ(from_json(to_json(Tuple{{1, "a"}})), (Value(List{1, "a"})));
}

TEST(ValueJson, NumbersKeepTheirKind) {
    EXPECT_TRUE(from_json(boost::json::parse("1")).is<std::int64_t>());
    EXPECT_TRUE(from_json(boost::json::parse("1.0")).is<double>());
    EXPECT_EQ(from_json(boost::json::parse("18446744073709551615")), Value(BigInt{"18446744073709551615"}));
    EXPECT_EQ(from_json(boost::json::parse("-9223372036854775808")), Value(std::numeric_limits<std::int64_t>::min()));
}

TEST(ValueJson, RefusesWhatJsonCannotHoldNamingThePath) {
    EXPECT_EQ(to_json_error(List{1, 2, Dict{{{"key", Bytes{"x"}}}}}),
              "value[2].key: bytes cannot be represented in JSON");
    EXPECT_EQ(to_json_error(Dict{{{1, "one"}}}),
              "value[1]: a dict key of kind int (JSON keys are strings) cannot be represented in JSON");
    EXPECT_EQ(to_json_error(List{std::nan("")}), "value[0]: float nan cannot be represented in JSON");
    EXPECT_EQ(to_json_error(List{std::numeric_limits<double>::infinity()}),
              "value[0]: float inf cannot be represented in JSON");
    EXPECT_EQ(to_json_error(Set{{1}}), "value: a set cannot be represented in JSON");
    EXPECT_EQ(to_json_error(Set{{1}, true}), "value: a frozenset cannot be represented in JSON");
    EXPECT_EQ(to_json_error(Dict{{{"o", Opaque{"pickle", "decimal.Decimal", ""}}}}),
              "value.o: an opaque decimal.Decimal object cannot be represented in JSON");
    EXPECT_EQ(to_json_error(BigInt{"-1267650600228229401496703205376"}),
              "value: int -1267650600228229401496703205376 (beyond 64 bits) cannot be represented in JSON");
    EXPECT_EQ(to_json_error(List{std::string("\xff")}),
              "value[0]: str that is not valid UTF-8 (at byte 0) cannot be represented in JSON");
}

TEST(ValueJson, DepthIsLimitedBothWays) {
    Value deep = List{};
    for (int i = 0; i < 20; ++i) deep = List{deep};
    EXPECT_NO_THROW(to_json(deep, 20));
    EXPECT_THROW(to_json(deep, 19), SerializationError);
    EXPECT_THROW(from_json(to_json(deep), 19), SerializationError);
}
