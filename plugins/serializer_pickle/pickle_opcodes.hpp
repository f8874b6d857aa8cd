// The pickle format's vocabulary, shared by the reader and the writer: opcode bytes, how each opcode's argument is
// laid out, a splitter that cuts bytes into instructions without executing anything, and the argument encodings
// (LONG1/LONG4 integers, latin-1 text) that both directions need.
//
// Names follow CPython's Lib/pickle.py and Lib/pickletools.py, which are the specification.
#pragma once

#include <hpcexec/value.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hpcexec::pickle {

/// The highest protocol read and written (Python 3.8's pickle.HIGHEST_PROTOCOL).
inline constexpr int highest_protocol = 5;

/// Integers whose two's-complement form is longer than this many bytes (65536 bits, about 19700 decimal digits) are
/// refused: converting between binary and decimal costs time quadratic in the length, so a hostile input could
/// otherwise make decoding arbitrarily slow.
inline constexpr std::size_t max_long_bytes = 8192;
inline constexpr std::size_t max_long_digits = 19730;

/// Opcode bytes. Protocol 0 and 1 opcodes are printable characters; the others start at 0x80.
namespace op {
// Protocol 0 (text) and 1 (binary).
inline constexpr std::uint8_t MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', FLOAT = 'F', INT = 'I',
                              BININT = 'J', BININT1 = 'K', LONG = 'L', BININT2 = 'M', NONE = 'N', PERSID = 'P',
                              BINPERSID = 'Q', REDUCE = 'R', STRING = 'S', BINSTRING = 'T', SHORT_BINSTRING = 'U',
                              UNICODE = 'V', BINUNICODE = 'X', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', DICT = 'd',
                              EMPTY_DICT = '}', APPENDS = 'e', GET = 'g', BINGET = 'h', INST = 'i',
                              LONG_BINGET = 'j', LIST = 'l', EMPTY_LIST = ']', OBJ = 'o', PUT = 'p', BINPUT = 'q',
                              LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', EMPTY_TUPLE = ')', SETITEMS = 'u',
                              BINFLOAT = 'G';
// Protocol 2.
inline constexpr std::uint8_t PROTO = 0x80, NEWOBJ = 0x81, EXT1 = 0x82, EXT2 = 0x83, EXT4 = 0x84, TUPLE1 = 0x85,
                              TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89, LONG1 = 0x8a,
                              LONG4 = 0x8b;
// Protocol 3.
inline constexpr std::uint8_t BINBYTES = 'B', SHORT_BINBYTES = 'C';
// Protocol 4.
inline constexpr std::uint8_t SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e, EMPTY_SET = 0x8f,
                              ADDITEMS = 0x90, FROZENSET = 0x91, NEWOBJ_EX = 0x92, STACK_GLOBAL = 0x93,
                              MEMOIZE = 0x94, FRAME = 0x95;
// Protocol 5.
inline constexpr std::uint8_t BYTEARRAY8 = 0x96, NEXT_BUFFER = 0x97, READONLY_BUFFER = 0x98;
}  // namespace op

/// How an opcode's argument follows the opcode byte.
enum class ArgKind : std::uint8_t {
    none,
    uint1,          // 1 byte
    uint2,          // 2 bytes, little-endian
    int4,           // 4 bytes, little-endian, signed
    uint4,          // 4 bytes, little-endian
    uint8,          // 8 bytes, little-endian
    float8,         // 8 bytes, big-endian IEEE 754 double
    line,           // text up to and without '\n'
    two_lines,      // two such lines (GLOBAL, INST: module and name)
    bytes1,         // a 1-byte length, then that many bytes
    bytes4,         // a 4-byte little-endian unsigned length, then the bytes
    bytes4_signed,  // the same with a signed length (BINSTRING, LONG4); a negative length is an error
    bytes8,         // an 8-byte little-endian length, then the bytes
};

struct OpcodeInfo {
    const char* name;
    ArgKind arg;
    /// The protocol that introduced the opcode.
    int protocol;
};

/// The opcode's description, or nullptr when `code` is not a pickle opcode.
const OpcodeInfo* opcode_info(std::uint8_t code) noexcept;

/// One instruction: an opcode and its decoded argument, as a view into the input.
struct Instruction {
    std::uint8_t code = 0;
    const OpcodeInfo* info = nullptr;
    /// Offset of the opcode byte, and one past the instruction's last byte.
    std::size_t offset = 0;
    std::size_t end = 0;
    /// The argument of fixed-size integer kinds; the length for the bytes kinds.
    std::uint64_t number = 0;
    /// The argument of float8 (the int4 kind is in `number` as two's complement: use `signed_number()`).
    double real = 0;
    /// The line (without '\n'), the payload of the bytes kinds, or the first line of two_lines.
    std::string_view text;
    /// The second line of two_lines.
    std::string_view text2;

    std::int64_t signed_number() const noexcept {
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(number));
    }
    /// The instruction's bytes as they are in the input.
    std::string_view bytes(std::string_view input) const { return input.substr(offset, end - offset); }
};

/// Cuts pickle bytes into instructions without executing them. Every length field is checked against the bytes
/// that are left before anything is sliced, so a hostile length never causes an allocation or a read past the end.
///
/// OWNERSHIP: views `data`, which must outlive the splitter and the instructions it returns. THREAD: one thread.
/// ERRORS: SerializationError "pickle: offset N (OPCODE): problem" for an unknown opcode or a truncated argument.
class InstructionSplitter {
public:
    /// Splits `data` from `begin` up to `end` (the whole input by default).
    explicit InstructionSplitter(std::string_view data, std::size_t begin = 0,
                                 std::size_t end = std::string_view::npos);
    bool at_end() const noexcept { return position_ >= end_; }
    std::size_t position() const noexcept { return position_; }
    Instruction next();

private:
    std::string_view data_;
    std::size_t position_;
    std::size_t end_;
};

/// Throws SerializationError "pickle: offset N: problem".
[[noreturn]] void throw_at(std::size_t offset, const std::string& problem);
/// Throws SerializationError "pickle: offset N (OPCODE): problem".
[[noreturn]] void throw_at(const Instruction& instruction, const std::string& problem);

/// The memo index of PUT, BINPUT, LONG_BINPUT, GET, BINGET or LONG_BINGET (PUT and GET carry it as decimal text).
std::uint64_t memo_index(const Instruction& instruction);

/// Decodes the little-endian two's-complement bytes of LONG1/LONG4 into an int (std::int64_t when it fits, else
/// BigInt). `bytes.size()` must not exceed max_long_bytes.
Value decode_long(std::string_view bytes);
/// Encodes an int (std::int64_t or BigInt) as the shortest little-endian two's-complement bytes, as Python's
/// pickle.encode_long does (0 gives no bytes). Throws SerializationError when the result would exceed max_long_bytes.
std::string encode_long(const Value& integer);

/// Appends the UTF-8 encoding of `code_point` (surrogates encode like any other code point, as Python's
/// "surrogatepass" does).
void append_utf8(std::string& out, std::uint32_t code_point);
/// Each byte as one code point U+0000..U+00FF, in UTF-8: how protocol 2 carries bytes inside a str.
std::string latin1_to_utf8(std::string_view bytes);
/// The inverse: nullopt when `text` is not valid UTF-8 or holds a code point above U+00FF.
std::optional<std::string> utf8_to_latin1(std::string_view text);

}  // namespace hpcexec::pickle
