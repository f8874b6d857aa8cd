// The pickle reader and writer against the real CPython: Python pickles every case of pickle_cases.py at protocols
// 0 to 5 and C++ must decode the expected Value; C++ pickles every expected Value at protocols 2 to 5 and Python
// must load an object equal (with equal types) to the case; objects C++ cannot decode survive a round trip.
#include "pickle_reader.hpp"
#include "pickle_writer.hpp"
#include "test_support.hpp"

#include <hpcexec/errors.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>

using namespace hpcexec;
using namespace serializer_test;

namespace {

Value big(const std::string& decimal) { return Value(BigInt{decimal}); }

List range(int n) {
    List items;
    for (int i = 0; i < n; ++i) items.emplace_back(i);
    return items;
}

// The Value each case of pickle_cases.py's CASES must decode to.
const std::map<std::string, Value>& expected_values() {
    static const std::map<std::string, Value> cases = [] {
        std::map<std::string, Value> c;
        const double inf = std::numeric_limits<double>::infinity();
        c["none"] = Value();
        c["true"] = true;
        c["false"] = false;
        c["int_0"] = 0;
        c["int_minus_1"] = -1;
        c["int_255"] = 255;
        c["int_256"] = 256;
        c["int_65535"] = 65535;
        c["int_65536"] = 65536;
        c["int_2_31_minus_1"] = 2147483647;
        c["int_2_31"] = 2147483648LL;
        c["int_minus_2_31"] = -2147483648LL;
        c["int_minus_2_31_minus_1"] = -2147483649LL;
        c["int_2_63_minus_1"] = std::numeric_limits<std::int64_t>::max();
        c["int_2_63"] = big("9223372036854775808");
        c["int_minus_2_63"] = std::numeric_limits<std::int64_t>::min();
        c["int_minus_2_63_minus_1"] = big("-9223372036854775809");
        c["int_2_64"] = big("18446744073709551616");
        c["int_2_100"] = big("1267650600228229401496703205376");
        c["int_minus_2_100"] = big("-1267650600228229401496703205376");
        c["int_2_3000"] = big(power_of_two(3000));
        c["int_minus_2_3000"] = big(power_of_two(3000, true));
        c["float_0"] = 0.0;
        c["float_minus_0"] = -0.0;
        c["float_1_5"] = 1.5;
        c["float_pi"] = 3.141592653589793;
        c["float_1e300"] = 1e300;
        c["float_tiny"] = 5e-324;
        c["float_nan"] = std::nan("");
        c["float_inf"] = inf;
        c["float_minus_inf"] = -inf;
        c["str_empty"] = "";
        c["str_ascii"] = "hello";
        c["str_latin1"] = "h\u00e9llo w\u00f6rld";
        c["str_bmp"] = "\u65e5\u672c\u8a9e \u2211";
        c["str_non_bmp"] = "\U0001f600 \U0001d11e non-BMP";
        c["str_specials"] = std::string("a\\b\nc\rd\0e\x1a'\"", 12);
        c["str_long"] = std::string(300, 'x');
        c["str_surrogate"] = "a\xed\xa0\x80" "b";  // U+D800 as Python's "surrogatepass" writes it
        c["bytes_empty"] = Bytes{};
        c["bytes_zeros"] = Bytes{std::string("\0\1\0\xff", 4)};
        c["bytes_ascii"] = Bytes{"abc"};
        std::string high, all;
        for (int i = 128; i < 256; ++i) high += static_cast<char>(i);
        for (int i = 0; i < 512; ++i) all += static_cast<char>(i % 256);
        c["bytes_high"] = Bytes{high};
        c["bytes_long"] = Bytes{all};
        c["list_empty"] = List{};
        c["list_mixed"] = List{1, "a", Value(), 2.5, true, Bytes{"x"}};
        c["list_nested"] = List{List{1, List{2, List{3, List{}}}}, Dict{{{"k", List{Tuple{}}}}}};
        c["list_large"] = range(3000);
        c["list_huge"] = range(30000);
        List strings;
        for (int i = 0; i < 1500; ++i) strings.emplace_back("s" + std::to_string(i));
        c["list_strings"] = strings;
        c["tuple_empty"] = Tuple{};
        c["tuple_1"] = Tuple{{1}};
        c["tuple_2"] = Tuple{{1, "two"}};
        c["tuple_3"] = Tuple{{1, 2, 3}};
        c["tuple_4"] = Tuple{{1, 2, 3, 4}};
        c["tuple_nested"] = Tuple{{Tuple{{1, Tuple{{2}}}}, List{3}}};
        c["dict_empty"] = Dict{};
        c["dict_str"] = Dict{{{"a", 1}, {"b", List{1, 2}}, {"c", Dict{{{"d", Value()}}}}}};
        c["dict_keys"] = Dict{{{1, "one"},
                               {Tuple{{1, 2}}, "pair"},
                               {Value(), 0},
                               {2.5, "float"},
                               {Bytes{"k"}, "bytes"},
                               {"s", "str"},
                               {Set{{1}, true}, "frozen"},
                               {big("-1180591620717411303424"), "big"}}};
        Dict large;
        for (int i = 0; i < 2500; ++i) large.items.emplace_back(i, std::to_string(i));
        c["dict_large"] = large;
        c["set_empty"] = Set{};
        c["set_ints"] = Set{{1, 2, 3}};
        c["set_strs"] = Set{{"a", "b", "c"}};
        c["set_mixed"] = Set{{1, "a", Tuple{{1, 2}}, Value()}};
        c["set_large"] = Set{range(1200)};
        c["frozenset_empty"] = Set{{}, true};
        c["frozenset_ints"] = Set{{1, 2}, true};
        c["set_of_frozensets"] = Set{{Set{{1}, true}, Set{{}, true}}};
        c["memo_shared_list"] = List{List{1, 2}, List{1, 2}, List{1, 2}};
        c["memo_shared_str"] = List{"shared string", "shared string", Dict{{{"k", "shared string"}}}};
        c["memo_shared_tuple"] = Dict{{{"a", Tuple{{1, "a"}}}, {"b", Tuple{{1, "a"}}}}};
        c["memo_shared_dict"] = List{Dict{{{"x", 1}}}, List{Dict{{{"x", 1}}}}};
        c["bytearray"] = Bytes{std::string("ab\0", 3)};
        c["bytearray_empty"] = Bytes{};
        return c;
    }();
    return cases;
}

// Cases that C++ reads but does not write back as the same Python type.
const std::set<std::string> read_only_cases = {"bytearray", "bytearray_empty"};

// What each case of OPAQUE_CASES decodes to, as Value::repr() shows it (an opaque object as <opaque TYPE>).
const std::map<std::string, std::string> expected_opaque_shapes = {
    {"fraction", "<opaque fractions.Fraction>"},
    {"decimal", "<opaque decimal.Decimal>"},
    {"datetime", "<opaque datetime.datetime>"},
    {"datetime_tz", "<opaque datetime.datetime>"},
    {"complex", "<opaque builtins.complex>"},
    {"ordered_dict", "<opaque collections.OrderedDict>"},
    {"namespace", "<opaque types.SimpleNamespace>"},
    {"class_reference", "<opaque global fractions.Fraction>"},
    {"function_reference", "<opaque global math.sqrt>"},
    {"opaque_list",
     "[<opaque fractions.Fraction>, <opaque fractions.Fraction>, <opaque decimal.Decimal>, "
     "<opaque datetime.datetime>, 'text', <opaque fractions.Fraction>, <opaque types.SimpleNamespace>, "
     "<opaque collections.OrderedDict>]"},
    {"opaque_shared_str", "['shared', <opaque types.SimpleNamespace>]"},
    {"opaque_shared_list", "[[1, 2], <opaque types.SimpleNamespace>]"},
    {"opaque_nested", "{'key': (<opaque fractions.Fraction>, [<opaque decimal.Decimal>])}"},
    {"opaque_self_reference", "[<opaque types.SimpleNamespace>]"},
};

std::string describe(const PythonPickle& p) { return p.case_name + " at protocol " + std::to_string(p.protocol); }

}  // namespace

TEST(PicklePython, DecodesWhatCPythonWritesAtEveryProtocol) {
    std::size_t checked = 0;
    for (const auto& p : python_corpus()) {
        auto expected = expected_values().find(p.case_name);
        if (expected == expected_values().end()) continue;  // an opaque case, tested below
        try {
            Value value = pickle::read_pickle(p.data);
            EXPECT_EQ(value, expected->second) << describe(p) << ": got " << value.repr(300);
            ++checked;
        } catch (const std::exception& e) {
            ADD_FAILURE() << describe(p) << ": " << e.what();
        }
    }
    // Every case at protocols 0 to 5.
    EXPECT_EQ(checked, expected_values().size() * 6);
}

TEST(PicklePython, KeepsTheSignOfNegativeZero) {
    for (const auto& p : python_corpus()) {
        if (p.case_name == "float_minus_0") {
            EXPECT_TRUE(std::signbit(pickle::read_pickle(p.data).as<double>())) << describe(p);
        }
    }
}

TEST(PicklePython, CPythonLoadsWhatCppWritesAtProtocols2To5) {
    std::string lines;
    std::size_t count = 0;
    for (const auto& [name, value] : expected_values()) {
        if (read_only_cases.count(name)) continue;
        for (int protocol = 2; protocol <= 5; ++protocol) {
            lines += check_line(name, protocol, pickle::write_pickle(value, {protocol}));
            ++count;
        }
    }
    for (const auto& failure : python_check_failures(lines, count)) ADD_FAILURE() << failure;
}

TEST(PicklePython, WritingThenReadingGivesTheSameValue) {
    for (const auto& [name, value] : expected_values())
        for (int protocol = 2; protocol <= 5; ++protocol)
            EXPECT_EQ(pickle::read_pickle(pickle::write_pickle(value, {protocol})), value)
                << name << " at protocol " << protocol;
}

TEST(PicklePython, ProtocolFourAndUpFramesLargeOutputLikeCPython) {
    std::string data = pickle::write_pickle(expected_values().at("list_huge"), {4});
    // PROTO 4, then FRAME with a little-endian length of at least 64 KiB.
    ASSERT_GT(data.size(), 11u);
    EXPECT_EQ(static_cast<unsigned char>(data[2]), 0x95);
    std::uint64_t frame = 0;
    for (int i = 8; i >= 1; --i)
        frame = frame * 256 + static_cast<unsigned char>(data[2 + static_cast<std::size_t>(i)]);
    EXPECT_GE(frame, 64u * 1024);
    EXPECT_LT(frame, data.size());
    // Protocols 2 and 3 have no frames.
    EXPECT_NE(static_cast<unsigned char>(pickle::write_pickle(Value(1), {3})[2]), 0x95);
}

TEST(PicklePython, ObjectsCppCannotDecodeBecomeOpaqueValues) {
    for (const auto& p : python_corpus()) {
        auto shape = expected_opaque_shapes.find(p.case_name);
        if (shape == expected_opaque_shapes.end()) continue;
        try {
            EXPECT_EQ(pickle::read_pickle(p.data).repr(1000), shape->second) << describe(p);
        } catch (const std::exception& e) {
            ADD_FAILURE() << describe(p) << ": " << e.what();
        }
    }
}

TEST(PicklePython, OpaqueObjectsSurviveARoundTripThroughCpp) {
    // Python pickles, C++ reads (opaque parts kept as pickles), C++ writes at each protocol, Python loads and compares
    // with the original object. Each opaque part's document must also load alone as the original item.
    std::string lines;
    std::size_t count = 0;
    for (const auto& p : python_corpus()) {
        if (!expected_opaque_shapes.count(p.case_name)) continue;
        Value value = pickle::read_pickle(p.data);
        for (int protocol = 2; protocol <= 5; ++protocol) {
            lines += check_line(p.case_name, protocol, pickle::write_pickle(value, {protocol}));
            ++count;
        }
        if (value.is<Opaque>()) {
            lines += check_line(p.case_name, p.protocol, value.as<Opaque>().data);
            ++count;
        } else if (value.is<List>()) {
            const auto& items = value.as<List>();
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (!items[i].is<Opaque>()) continue;
                EXPECT_EQ(items[i].as<Opaque>().format, "pickle");
                lines +=
                    check_line(p.case_name + "[" + std::to_string(i) + "]", p.protocol, items[i].as<Opaque>().data);
                ++count;
            }
        }
    }
    ASSERT_GT(count, 100u);
    for (const auto& failure : python_check_failures(lines, count)) ADD_FAILURE() << failure;
}

TEST(PicklePython, OpaqueDocumentsReadBackAsTheSameOpaqueValue) {
    for (const auto& p : python_corpus()) {
        if (p.case_name != "opaque_list") continue;
        Value value = pickle::read_pickle(p.data);
        for (const auto& item : value.as<List>()) {
            if (!item.is<Opaque>()) continue;
            // A document read alone is the opaque value itself, byte for byte.
            EXPECT_EQ(pickle::read_pickle(item.as<Opaque>().data), item) << describe(p);
        }
        // Writing and reading again gives the same value (at the same protocol family: documents carry PROTO).
        int protocol = std::max(2, p.protocol);
        EXPECT_EQ(pickle::read_pickle(pickle::write_pickle(value, {protocol})), value) << describe(p);
    }
}

TEST(PicklePython, AValueThatContainsItselfIsAClearError) {
    for (const auto& p : python_corpus()) {
        if (p.case_name != "opaque_cycle") continue;
        try {
            pickle::read_pickle(p.data);
            ADD_FAILURE() << describe(p) << ": expected a SerializationError";
        } catch (const SerializationError& e) {
            EXPECT_NE(std::string(e.what()).find("contains itself"), std::string::npos) << e.what();
        }
    }
}

TEST(PicklePython, WithoutOpaqueValuesAnUndecodableObjectIsAnErrorNamingItsType) {
    pickle::ReadOptions strict;
    strict.allow_opaque = false;
    for (const auto& p : python_corpus()) {
        if (p.case_name != "fraction" || p.protocol != 4) continue;
        try {
            pickle::read_pickle(p.data, strict);
            ADD_FAILURE() << "expected a SerializationError";
        } catch (const SerializationError& e) {
            EXPECT_NE(std::string(e.what()).find("fractions.Fraction"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("not allowed"), std::string::npos) << e.what();
        }
    }
    // Built-in types need no opaque values, also in their protocol 2 call forms (set([...]), _codecs.encode).
    for (const auto& p : python_corpus()) {
        if (p.case_name == "set_ints" || p.case_name == "bytes_zeros") {
            EXPECT_NO_THROW(pickle::read_pickle(p.data, strict)) << describe(p);
        }
    }
}
