// Value: construction from and conversion to ordinary C++ types, equality, repr and error paths.
#include <hpcexec/errors.hpp>
#include <hpcexec/value.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

using namespace hpcexec;

namespace {

template <class F> std::string error_of(F&& f) {
    try {
        f();
    } catch (const SerializationError& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected a SerializationError";
    return {};
}

}  // namespace

TEST(Value, ConstructsFromOrdinaryCppTypes) {
    Value v = 3;
    EXPECT_TRUE(v.is<std::int64_t>());
    EXPECT_EQ(v.as<std::int64_t>(), 3);
    v = std::vector<int>{1, 2, 3};
    EXPECT_EQ(v, (List{1, 2, 3}));
    v = std::map<std::string, double>{{"a", 0.5}, {"b", 1.5}};
    EXPECT_EQ(v, (Dict{{{"a", 0.5}, {"b", 1.5}}}));
    v = std::optional<int>{};
    EXPECT_TRUE(v.is_none());
    v = std::optional<std::string>{"x"};
    EXPECT_EQ(v, Value("x"));
    v = std::set<int>{2, 1};
    EXPECT_EQ(v, (Set{{1, 2}}));
    v = std::pair<int, std::string>{1, "a"};
    EXPECT_EQ(v, (Tuple{{1, "a"}}));
    v = std::tuple<int, bool, double>{1, true, 2.5};
    EXPECT_EQ(v, (Tuple{{1, true, 2.5}}));
    v = std::unordered_map<int, std::vector<std::string>>{{7, {"x"}}};
    EXPECT_EQ(v, (Dict{{{7, List{"x"}}}}));
    v = std::string_view("view");
    EXPECT_EQ(v.as<std::string>(), "view");
    v = 2.5f;
    EXPECT_EQ(v.as<double>(), 2.5);
    v = std::nullopt;
    EXPECT_TRUE(v.is_none());
    // bool stays bool; 'true' is not an int.
    EXPECT_TRUE(Value(true).is<bool>());
}

TEST(Value, UnsignedBeyondInt64BecomesBigInt) {
    Value v = std::numeric_limits<std::uint64_t>::max();
    ASSERT_TRUE(v.is<BigInt>());
    EXPECT_EQ(v.as<BigInt>().decimal, "18446744073709551615");
    EXPECT_EQ(v.to<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
    Value small = std::uint64_t{5};
    EXPECT_TRUE(small.is<std::int64_t>());
}

TEST(Value, BigIntHasOneRepresentationPerNumber) {
    EXPECT_EQ(Value(BigInt{"42"}), Value(42));
    EXPECT_TRUE(Value(BigInt{"-9223372036854775808"}).is<std::int64_t>());
    EXPECT_EQ(Value(BigInt{"-9223372036854775808"}).as<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
    EXPECT_TRUE(Value(BigInt{"9223372036854775808"}).is<BigInt>());
    EXPECT_EQ(Value(BigInt{"-000123"}), Value(-123));
    EXPECT_EQ(Value(BigInt{"-0"}), Value(0));
    EXPECT_EQ(Value(BigInt{"00099999999999999999999"}).as<BigInt>().decimal, "99999999999999999999");
    EXPECT_NE(error_of([] { Value(BigInt{"12a"}); }).find("invalid integer text '12a'"), std::string::npos);
    EXPECT_NE(error_of([] { Value(BigInt{"-"}); }).find("invalid integer text"), std::string::npos);
}

TEST(Value, ConvertsToOrdinaryCppTypes) {
    Value v = List{1, 2, 3};
    EXPECT_EQ(v.to<std::vector<int>>(), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(v.to<std::set<long>>(), (std::set<long>{1, 2, 3}));
    EXPECT_EQ((Value(Tuple{{1, 2}}).to<std::vector<int>>()), (std::vector<int>{1, 2}));
    Value d = Dict{{{"a", 1}, {"b", 2.5}}};
    EXPECT_EQ((d.to<std::map<std::string, double>>()), (std::map<std::string, double>{{"a", 1.0}, {"b", 2.5}}));
    EXPECT_EQ(Value().to<std::optional<int>>(), std::nullopt);
    EXPECT_EQ(Value(4).to<std::optional<int>>(), 4);
    EXPECT_EQ((Value(Tuple{{1, "x"}}).to<std::pair<int, std::string>>()), (std::pair<int, std::string>{1, "x"}));
    EXPECT_EQ((Value(List{1, "x", true}).to<std::tuple<int, std::string, bool>>()),
              (std::tuple<int, std::string, bool>{1, "x", true}));
    EXPECT_EQ(Value(3).to<double>(), 3.0);  // an int converts to float, as Python's float() does
    EXPECT_EQ(Value("s").to<std::string>(), "s");
    EXPECT_EQ(Value(Bytes{"b"}).to<Bytes>(), Bytes{"b"});
    EXPECT_EQ(Value(7).to<Value>(), Value(7));
    // A later equal key replaces an earlier one, as when Python builds a dict.
    EXPECT_EQ((Value(Dict{{{1, "a"}, {1, "b"}}}).to<std::map<int, std::string>>()),
              (std::map<int, std::string>{{1, "b"}}));
}

TEST(Value, ConversionErrorsNameThePathAndTheKinds) {
    Value v = List{1, 2, Dict{{{"key", Bytes{"x"}}}}};
    EXPECT_EQ(error_of([&] { v.to<std::vector<int>>(); }), "value[2]: expected int, found dict");
    Value nested = Dict{{{"size", List{1, "two"}}}};
    EXPECT_EQ(error_of([&] { nested.to<std::map<std::string, std::vector<int>>>(); }),
              "value.size[1]: expected int, found str");
    EXPECT_EQ(error_of([] { Value(300).to<std::uint8_t>(); }),
              "value: int 300 does not fit in an unsigned 8-bit integer");
    EXPECT_EQ(error_of([] { Value(-1).to<unsigned>(); }), "value: int -1 does not fit in an unsigned 32-bit integer");
    EXPECT_EQ(error_of([] { Value(BigInt{"99999999999999999999"}).to<std::int64_t>(); }),
              "value: int 99999999999999999999 does not fit in a signed 64-bit integer");
    EXPECT_EQ(error_of([] { Value(true).to<int>(); }), "value: expected int, found bool");
    EXPECT_EQ(error_of([] { Value(1).to<bool>(); }), "value: expected bool, found int");
    EXPECT_EQ(error_of([] { Value(Tuple{{1}}).to<std::pair<int, int>>(); }),
              "value: expected a tuple of 2 items, found 1 items");
    EXPECT_EQ(error_of([] { Value(Dict{{{Tuple{{1, 2}}, "x"}}}).to<std::map<std::string, std::string>>(); }),
              "value[(1, 2)]: expected str, found tuple");
    EXPECT_EQ(error_of([] { Value("x").as<List>(); }), "value: expected list, found str");
    Value opaque = Opaque{"pickle", "fractions.Fraction", "..."};
    EXPECT_EQ(error_of([&] { opaque.to<int>(); }),
              "value: expected int, found an opaque fractions.Fraction (an object the serializer could not decode)");
    EXPECT_EQ(error_of([] { Value(Dict{{{"a b", 1}}}).to<std::map<std::string, std::string>>(); }),
              "value['a b']: expected str, found int");
}

TEST(Value, EqualityFollowsPythonForDictsAndSetsButKeepsKindsApart) {
    EXPECT_EQ((Value(Dict{{{"a", 1}, {"b", 2}}})), (Value(Dict{{{"b", 2}, {"a", 1}}})));
    EXPECT_NE((Value(Dict{{{"a", 1}, {"b", 2}}})), (Value(Dict{{{"a", 2}, {"b", 1}}})));
    EXPECT_EQ((Value(Set{{1, 2, 3}})), (Value(Set{{3, 1, 2}})));
    EXPECT_NE((Value(Set{{1, 2}})), (Value(Set{{1, 2}, true})));
    EXPECT_NE((Value(List{1, 2})), (Value(List{2, 1})));
    EXPECT_NE(Value(true), Value(1));
    EXPECT_NE(Value(1), Value(1.0));
    EXPECT_NE(Value(List{}), Value(Tuple{}));
    EXPECT_EQ(Value(std::nan("")), Value(std::nan("")));
    EXPECT_EQ(Value(Set{{std::nan(""), 1}}), Value(Set{{1, std::nan("")}}));
    EXPECT_EQ(Value(Dict{{{Set{{1, 2}, true}, 1}}}).hash(), Value(Dict{{{Set{{2, 1}, true}, 1}}}).hash());
    EXPECT_EQ(Value(0.0).hash(), Value(-0.0).hash());
    Dict d{{{"a", 1}, {2, "b"}}};
    ASSERT_NE(d.find(2), nullptr);
    EXPECT_EQ(*d.find(2), Value("b"));
    EXPECT_EQ(d.find("zz"), nullptr);
}

TEST(Value, ReprLooksLikePython) {
    EXPECT_EQ(Value(List{1, "a'b", Value(), true, 2.0, Bytes{std::string("\0\xff", 2)}}).repr(),
              "[1, 'a\\'b', None, True, 2.0, b'\\x00\\xff']");
    EXPECT_EQ(Value(Tuple{{1}}).repr(), "(1,)");
    EXPECT_EQ(Value(Dict{{{"k", Set{}}}}).repr(), "{'k': set()}");
    EXPECT_EQ(Value(Set{{1}, true}).repr(), "frozenset({1})");
    EXPECT_EQ(Value(1e300).repr(), "1e+300");
    EXPECT_EQ(Value(-std::numeric_limits<double>::infinity()).repr(), "-inf");
    EXPECT_EQ(Value(Opaque{"pickle", "datetime.datetime", ""}).repr(), "<opaque datetime.datetime>");
    EXPECT_EQ(Value(std::string(100, 'x')).repr(10), "'xxxxxxxxx...");
    EXPECT_EQ(Value(Set{{}, true}).kind_name(), "frozenset");
}

TEST(Value, FindsInvalidUtf8) {
    EXPECT_EQ(find_invalid_utf8("plain \u00e9\u65e5\U0001f600"), std::nullopt);
    EXPECT_EQ(find_invalid_utf8("ab\xff"), 2u);
    EXPECT_EQ(find_invalid_utf8("\xc0\x80"), 0u);             // overlong
    EXPECT_EQ(find_invalid_utf8("x\xe2\x88"), 1u);            // truncated
    EXPECT_EQ(find_invalid_utf8("\xf4\x90\x80\x80"), 0u);     // above U+10FFFF
    EXPECT_EQ(find_invalid_utf8("\xed\xa0\x80"), 0u);         // a surrogate
    EXPECT_EQ(find_invalid_utf8("\xed\xa0\x80", true), std::nullopt);
}
