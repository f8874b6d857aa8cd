// The pickle reader on hostile and broken input: every case must end in a SerializationError with a useful message,
// within bounded time and memory, and never crash.
#include "pickle_reader.hpp"
#include "pickle_writer.hpp"
#include "test_support.hpp"

#include <hpcexec/errors.hpp>

#include <gtest/gtest.h>

using namespace hpcexec;
using namespace serializer_test;
using namespace std::string_literals;  // "...\x00..."s keeps the zero bytes

namespace {

// Reads `data` and returns the SerializationError's message; fails the test when reading succeeds.
std::string read_error(std::string_view data, const pickle::ReadOptions& options = {}) {
    try {
        Value value = pickle::read_pickle(data, options);
        ADD_FAILURE() << "expected a SerializationError, read " << value.repr();
    } catch (const SerializationError& e) {
        return e.what();
    }
    return {};
}

std::string le32(std::uint32_t n) {
    std::string s;
    for (int i = 0; i < 4; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
}
std::string le64(std::uint64_t n) {
    std::string s;
    for (int i = 0; i < 8; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
}

#define EXPECT_CONTAINS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

}  // namespace

TEST(PickleHostile, EveryTruncationOfEveryCorpusPickleIsAnError) {
    std::size_t prefixes = 0;
    for (const auto& p : python_corpus()) {
        if (p.data.size() > 3000) continue;  // the large cases only repeat what the small ones show
        for (std::size_t n = 0; n < p.data.size(); ++n) {
            std::string message = read_error(std::string_view(p.data).substr(0, n));
            if (message.rfind("pickle: ", 0) != 0) ADD_FAILURE() << p.case_name << " cut at " << n << ": " << message;
            ++prefixes;
        }
    }
    EXPECT_GT(prefixes, 10000u);
}

TEST(PickleHostile, TruncationIsReportedWithItsOffset) {
    std::string data = "\x80\x04X" + le32(10) + "abc";
    std::string message = read_error(data);
    EXPECT_CONTAINS(message, "offset 2 (BINUNICODE)");
    EXPECT_CONTAINS(message, "truncated");
}

TEST(PickleHostile, HugeLengthFieldsAllocateNothing) {
    EXPECT_CONTAINS(read_error("\x80\x04X" + le32(0xffffffff) + "abc."), "needs 4294967295 bytes, 4 left");
    EXPECT_CONTAINS(read_error("\x80\x04\x8d" + le64(~0ULL) + "abc."), "truncated");
    EXPECT_CONTAINS(read_error("\x80\x04\x8e" + le64(1ULL << 62) + "."), "truncated");
    EXPECT_CONTAINS(read_error("\x80\x05\x96" + le64(1ULL << 40) + "."), "truncated");
    EXPECT_CONTAINS(read_error("\x80\x04\x95" + le64(1ULL << 50) + "N."), "the frame needs");
    EXPECT_CONTAINS(read_error("\x80\x02\x8b" + le32(0x7fffffff) + "."), "truncated");
    EXPECT_CONTAINS(read_error("\x80\x02\x8b" + le32(0x80000000) + "."), "negative length");
    EXPECT_CONTAINS(read_error("\x80\x02T" + le32(0xfffffff0) + "."), "negative length");
}

TEST(PickleHostile, HugeIntegersAreRefused) {
    std::string data = "\x80\x02\x8b" + le32(100000) + std::string(100000, '\x7f') + ".";
    EXPECT_CONTAINS(read_error(data), "int too large");
    EXPECT_CONTAINS(read_error("L" + std::string(100000, '9') + "L\n."), "int too large");
}

TEST(PickleHostile, AMillionMarksAreAnErrorNotACrash) {
    std::string data = "\x80\x02" + std::string(1'000'000, '(') + ".";
    EXPECT_CONTAINS(read_error(data), "MARK");
    // A million nested empty tuples: MARK MARK ... TUPLE TUPLE ...
    std::string tuples = std::string(1'000'000, '(') + std::string(1'000'000, 't') + ".";
    EXPECT_CONTAINS(read_error(tuples), "nested deeper than 1000 levels");
}

TEST(PickleHostile, AMillionNestedListsAreAnErrorNotACrash) {
    // EMPTY_LIST a million times, then APPEND each into the one below.
    std::string data = "\x80\x02" + std::string(1'000'000, ']') + std::string(999'999, 'a') + ".";
    EXPECT_CONTAINS(read_error(data), "nested deeper than 1000 levels");
    // The same within the limit reads fine.
    std::string shallow = "\x80\x02" + std::string(1000, ']') + std::string(999, 'a') + ".";
    EXPECT_NO_THROW(pickle::read_pickle(shallow));
}

TEST(PickleHostile, MemoGetOfAnUnknownIndexIsNamed) {
    EXPECT_CONTAINS(read_error("\x80\x02h\x07."), "memo get of unknown index 7");
    EXPECT_CONTAINS(read_error("\x80\x02j" + le32(123456) + "."), "memo get of unknown index 123456");
    EXPECT_CONTAINS(read_error("g5\n."), "memo get of unknown index 5");
}

TEST(PickleHostile, MemoReferencesCannotMultiplyMemoryWithoutBound) {
    // L0 = [0]; L(n+1) = [Ln, Ln]: 60 doublings describe 2**60 items in a few hundred bytes.
    std::string data = "\x80\x02]K\x00" "a"s;  // [0]
    for (int i = 0; i < 60; ++i) {
        std::string slot(1, static_cast<char>(i));
        data += "q" + slot + "0";                                  // memo[i] = top; pop
        data += "](h" + slot + "h" + slot + "e";                   // [memo[i], memo[i]]
    }
    data += ".";
    pickle::ReadOptions options;
    options.max_memory = 64 << 20;
    EXPECT_CONTAINS(read_error(data, options), "memory limit of 64 MiB");
}

TEST(PickleHostile, UnknownOpcodesAndProtocolsAreNamed) {
    EXPECT_CONTAINS(read_error("\x80\x02\xff."), "offset 2: unknown opcode 0xff");
    EXPECT_CONTAINS(read_error("\x80\x06N."), "unsupported pickle protocol 6");
}

TEST(PickleHostile, StackMisuseIsAnError) {
    EXPECT_CONTAINS(read_error("."), "the stack holds 0 objects");
    EXPECT_CONTAINS(read_error("NN."), "the stack holds 2 objects");
    EXPECT_CONTAINS(read_error("a."), "stack underflow");
    EXPECT_CONTAINS(read_error("(a."), "stack underflow");  // APPEND cannot reach below a MARK
    EXPECT_CONTAINS(read_error("t."), "no MARK");
    EXPECT_CONTAINS(read_error("}(K\x01u."), "odd number");
    EXPECT_CONTAINS(read_error(")K\x01" "a."), "cannot add items to a tuple");
    EXPECT_CONTAINS(read_error("NN."), "instead of 1");
    EXPECT_CONTAINS(read_error("N.N"), "1 bytes of unexpected data after STOP");
}

TEST(PickleHostile, FeaturesThatNeedTheWritersHelpAreRefused) {
    EXPECT_CONTAINS(read_error("Pid\n."), "persistent IDs");
    EXPECT_CONTAINS(read_error("\x80\x02\x82\x01."), "extension registry");
    EXPECT_CONTAINS(read_error("\x80\x05\x97."), "out-of-band buffers");
}

TEST(PickleHostile, InvalidTextIsRefused) {
    EXPECT_CONTAINS(read_error("\x80\x04\x8c\x02\xff\xfe."), "not valid UTF-8");
    EXPECT_CONTAINS(read_error("\x80\x02U\x02\xff\xfe."), "non-ASCII");
    EXPECT_CONTAINS(read_error("Fnot-a-number\n."), "invalid float");
    EXPECT_CONTAINS(read_error("I12x\n."), "invalid int");
    EXPECT_CONTAINS(read_error("V\\u12\n."), "invalid \\u escape");
    // latin-1 text with a character above U+00FF cannot be bytes.
    EXPECT_CONTAINS(read_error("\x80\x02"
                               "c_codecs\nencode\nX\x03\x00\x00\x00\xe2\x88\x91X\x06\x00\x00\x00latin1\x86R."s),
                    "above U+00FF");
}

TEST(PickleHostile, OpaqueObjectsThatCannotBeCutOutAreErrors) {
    // An object changed (BUILD) after a memo get, away from where it was built.
    std::string changed_later = "\x80\x02]cmod\nCls\n)Rq\x00" "a}h\x00N" "b."s;
    EXPECT_CONTAINS(read_error(changed_later), "changed away from where it is built");
    // Two stores into one memo index make MEMOIZE's numbering unknowable.
    std::string redefined = "\x80\x04(N\x94N\x94" "0q\x00" "cmod\nCls\n)Rl."s;
    EXPECT_CONTAINS(read_error(redefined), "stores twice into one memo index");
}

TEST(PickleHostile, WriterRefusesWhatPythonCouldNotRead) {
    auto write_error = [](const Value& value, int protocol = 4) {
        try {
            pickle::write_pickle(value, {protocol});
        } catch (const SerializationError& e) {
            return std::string(e.what());
        }
        ADD_FAILURE() << "expected a SerializationError";
        return std::string();
    };
    EXPECT_EQ(
        write_error(List{1, Dict{{{List{1}, 2}}}}),
        "pickle: value[1][[1]]: a dict key holding a list ([1]) cannot be read by Python (dict keys must be hashable)");
    EXPECT_CONTAINS(write_error(Set{{Tuple{{Set{}}}}}), "value[0]: a set item holding a set");
    EXPECT_CONTAINS(write_error(Dict{{{"k", std::string("\xff")}}}), "value.k: str is not valid UTF-8 (at byte 0)");
    EXPECT_CONTAINS(write_error(Opaque{"json", "thing", "{}"}), "of format 'json' cannot be written");
    EXPECT_CONTAINS(write_error(Opaque{"pickle", "thing", "\x80\x04N"}), "does not end with STOP");
    EXPECT_CONTAINS(write_error(Opaque{"pickle", "thing", "\x80\x04h\x05."}), "memo get of index 5");
    EXPECT_CONTAINS(write_error(Value(1), 1), "protocol 1 cannot be written");
    Value deep = List{};
    for (int i = 0; i < 1100; ++i) deep = List{deep};
    EXPECT_CONTAINS(write_error(deep), "nested deeper than 1000 levels");
}
