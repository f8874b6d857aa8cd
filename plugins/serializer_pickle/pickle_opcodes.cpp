#include "pickle_opcodes.hpp"

#include <hpcexec/errors.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <vector>

namespace hpcexec::pickle {
namespace {

// The opcode table, indexed by opcode byte; entries with a null name are not opcodes.
constexpr std::array<OpcodeInfo, 256> make_opcode_table() {
    std::array<OpcodeInfo, 256> table{};
    auto set = [&](std::uint8_t code, const char* name, ArgKind arg, int protocol) {
        table[code] = OpcodeInfo{name, arg, protocol};
    };
    using A = ArgKind;
    set(op::MARK, "MARK", A::none, 0);
    set(op::STOP, "STOP", A::none, 0);
    set(op::POP, "POP", A::none, 0);
    set(op::POP_MARK, "POP_MARK", A::none, 1);
    set(op::DUP, "DUP", A::none, 0);
    set(op::FLOAT, "FLOAT", A::line, 0);
    set(op::INT, "INT", A::line, 0);
    set(op::BININT, "BININT", A::int4, 1);
    set(op::BININT1, "BININT1", A::uint1, 1);
    set(op::LONG, "LONG", A::line, 0);
    set(op::BININT2, "BININT2", A::uint2, 1);
    set(op::NONE, "NONE", A::none, 0);
    set(op::PERSID, "PERSID", A::line, 0);
    set(op::BINPERSID, "BINPERSID", A::none, 1);
    set(op::REDUCE, "REDUCE", A::none, 0);
    set(op::STRING, "STRING", A::line, 0);
    set(op::BINSTRING, "BINSTRING", A::bytes4_signed, 1);
    set(op::SHORT_BINSTRING, "SHORT_BINSTRING", A::bytes1, 1);
    set(op::UNICODE, "UNICODE", A::line, 0);
    set(op::BINUNICODE, "BINUNICODE", A::bytes4, 1);
    set(op::APPEND, "APPEND", A::none, 0);
    set(op::BUILD, "BUILD", A::none, 0);
    set(op::GLOBAL, "GLOBAL", A::two_lines, 0);
    set(op::DICT, "DICT", A::none, 0);
    set(op::EMPTY_DICT, "EMPTY_DICT", A::none, 1);
    set(op::APPENDS, "APPENDS", A::none, 1);
    set(op::GET, "GET", A::line, 0);
    set(op::BINGET, "BINGET", A::uint1, 1);
    set(op::INST, "INST", A::two_lines, 0);
    set(op::LONG_BINGET, "LONG_BINGET", A::uint4, 1);
    set(op::LIST, "LIST", A::none, 0);
    set(op::EMPTY_LIST, "EMPTY_LIST", A::none, 1);
    set(op::OBJ, "OBJ", A::none, 1);
    set(op::PUT, "PUT", A::line, 0);
    set(op::BINPUT, "BINPUT", A::uint1, 1);
    set(op::LONG_BINPUT, "LONG_BINPUT", A::uint4, 1);
    set(op::SETITEM, "SETITEM", A::none, 0);
    set(op::TUPLE, "TUPLE", A::none, 0);
    set(op::EMPTY_TUPLE, "EMPTY_TUPLE", A::none, 1);
    set(op::SETITEMS, "SETITEMS", A::none, 1);
    set(op::BINFLOAT, "BINFLOAT", A::float8, 1);
    set(op::PROTO, "PROTO", A::uint1, 2);
    set(op::NEWOBJ, "NEWOBJ", A::none, 2);
    set(op::EXT1, "EXT1", A::uint1, 2);
    set(op::EXT2, "EXT2", A::uint2, 2);
    set(op::EXT4, "EXT4", A::int4, 2);
    set(op::TUPLE1, "TUPLE1", A::none, 2);
    set(op::TUPLE2, "TUPLE2", A::none, 2);
    set(op::TUPLE3, "TUPLE3", A::none, 2);
    set(op::NEWTRUE, "NEWTRUE", A::none, 2);
    set(op::NEWFALSE, "NEWFALSE", A::none, 2);
    set(op::LONG1, "LONG1", A::bytes1, 2);
    set(op::LONG4, "LONG4", A::bytes4_signed, 2);
    set(op::BINBYTES, "BINBYTES", A::bytes4, 3);
    set(op::SHORT_BINBYTES, "SHORT_BINBYTES", A::bytes1, 3);
    set(op::SHORT_BINUNICODE, "SHORT_BINUNICODE", A::bytes1, 4);
    set(op::BINUNICODE8, "BINUNICODE8", A::bytes8, 4);
    set(op::BINBYTES8, "BINBYTES8", A::bytes8, 4);
    set(op::EMPTY_SET, "EMPTY_SET", A::none, 4);
    set(op::ADDITEMS, "ADDITEMS", A::none, 4);
    set(op::FROZENSET, "FROZENSET", A::none, 4);
    set(op::NEWOBJ_EX, "NEWOBJ_EX", A::none, 4);
    set(op::STACK_GLOBAL, "STACK_GLOBAL", A::none, 4);
    set(op::MEMOIZE, "MEMOIZE", A::none, 4);
    set(op::FRAME, "FRAME", A::uint8, 4);
    set(op::BYTEARRAY8, "BYTEARRAY8", A::bytes8, 5);
    set(op::NEXT_BUFFER, "NEXT_BUFFER", A::none, 5);
    set(op::READONLY_BUFFER, "READONLY_BUFFER", A::none, 5);
    return table;
}

constexpr std::array<OpcodeInfo, 256> opcode_table = make_opcode_table();

std::uint64_t read_le(const char* p, std::size_t n) {
    std::uint64_t value = 0;
    for (std::size_t i = n; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(p[i]);
    return value;
}

// Arbitrary-size unsigned integers as little-endian base-2^32 limbs, for LONG1/LONG4 <-> decimal text.
using Limbs = std::vector<std::uint32_t>;

// Divides `limbs` by `divisor` in place and returns the remainder.
std::uint32_t divide(Limbs& limbs, std::uint32_t divisor) {
    std::uint64_t remainder = 0;
    for (std::size_t i = limbs.size(); i-- > 0;) {
        std::uint64_t current = (remainder << 32) | limbs[i];
        limbs[i] = static_cast<std::uint32_t>(current / divisor);
        remainder = current % divisor;
    }
    while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
    return static_cast<std::uint32_t>(remainder);
}

// limbs = limbs * factor + addend.
void multiply_add(Limbs& limbs, std::uint32_t factor, std::uint32_t addend) {
    std::uint64_t carry = addend;
    for (auto& limb : limbs) {
        std::uint64_t current = static_cast<std::uint64_t>(limb) * factor + carry;
        limb = static_cast<std::uint32_t>(current);
        carry = current >> 32;
    }
    if (carry) limbs.push_back(static_cast<std::uint32_t>(carry));
}

// Two's complement negation of a little-endian byte string, in place.
void negate(std::string& bytes) {
    bool carry = true;
    for (auto& byte : bytes) {
        unsigned value = static_cast<unsigned char>(~static_cast<unsigned char>(byte)) + (carry ? 1u : 0u);
        byte = static_cast<char>(value & 0xff);
        carry = value > 0xff;
    }
}

}  // namespace

const OpcodeInfo* opcode_info(std::uint8_t code) noexcept {
    return opcode_table[code].name ? &opcode_table[code] : nullptr;
}

void throw_at(std::size_t offset, const std::string& problem) {
    throw SerializationError("pickle: offset " + std::to_string(offset) + ": " + problem);
}

void throw_at(const Instruction& instruction, const std::string& problem) {
    throw SerializationError("pickle: offset " + std::to_string(instruction.offset) + " (" +
                             (instruction.info ? instruction.info->name : "?") + "): " + problem);
}

InstructionSplitter::InstructionSplitter(std::string_view data, std::size_t begin, std::size_t end)
    : data_(data), position_(begin), end_(std::min(end, data.size())) {}

Instruction InstructionSplitter::next() {
    Instruction in;
    in.offset = position_;
    if (position_ >= end_) throw_at(position_, "truncated input: expected an opcode, found the end of the data");
    in.code = static_cast<std::uint8_t>(data_[position_]);
    in.info = opcode_info(in.code);
    if (!in.info) {
        constexpr char hex[] = "0123456789abcdef";
        throw_at(position_, std::string("unknown opcode 0x") + hex[in.code >> 4] + hex[in.code & 15]);
    }
    std::size_t at = position_ + 1;
    const std::size_t left = end_ - at;
    auto need = [&](std::uint64_t count, const char* what) {
        if (count > left)
            throw_at(in, "truncated input: " + std::string(what) + " needs " + std::to_string(count) +
                             " bytes, " + std::to_string(left) + " left");
    };
    auto fixed = [&](std::size_t size) {
        need(size, "the argument");
        in.number = read_le(data_.data() + at, size);
        at += size;
    };
    auto line = [&](std::size_t from) -> std::string_view {
        std::size_t newline = data_.find('\n', from);
        if (newline == std::string_view::npos || newline >= end_)
            throw_at(in, "truncated input: no newline ends the argument");
        at = newline + 1;
        return data_.substr(from, newline - from);
    };
    auto sized = [&](std::size_t length_size, bool is_signed) {
        fixed(length_size);
        if (is_signed && in.signed_number() < 0)
            throw_at(in, "negative length " + std::to_string(in.signed_number()));
        if (in.number > left - length_size)  // fixed() checked that the length field itself fits
            throw_at(in, "truncated input: the argument needs " + std::to_string(in.number) + " bytes, " +
                             std::to_string(left - length_size) + " left");
        in.text = data_.substr(at, static_cast<std::size_t>(in.number));
        at += static_cast<std::size_t>(in.number);
    };
    switch (in.info->arg) {
        case ArgKind::none: break;
        case ArgKind::uint1: fixed(1); break;
        case ArgKind::uint2: fixed(2); break;
        case ArgKind::int4:
        case ArgKind::uint4: fixed(4); break;
        case ArgKind::uint8: fixed(8); break;
        case ArgKind::float8: {
            need(8, "the argument");
            std::uint64_t bits = 0;
            for (std::size_t i = 0; i < 8; ++i) bits = (bits << 8) | static_cast<unsigned char>(data_[at + i]);
            in.real = std::bit_cast<double>(bits);
            at += 8;
            break;
        }
        case ArgKind::line: in.text = line(at); break;
        case ArgKind::two_lines:
            in.text = line(at);
            in.text2 = line(at);
            break;
        case ArgKind::bytes1: sized(1, false); break;
        case ArgKind::bytes4: sized(4, false); break;
        case ArgKind::bytes4_signed: sized(4, true); break;
        case ArgKind::bytes8: sized(8, false); break;
    }
    in.end = at;
    position_ = at;
    return in;
}

std::uint64_t memo_index(const Instruction& in) {
    if (in.code != op::PUT && in.code != op::GET) return in.number;
    std::uint64_t index = 0;
    auto [end, error] = std::from_chars(in.text.data(), in.text.data() + in.text.size(), index);
    if (error != std::errc() || end != in.text.data() + in.text.size())
        throw_at(in, "invalid memo index '" + std::string(in.text) + "'");
    return index;
}

Value decode_long(std::string_view bytes) {
    if (bytes.empty()) return Value(0);
    const bool negative = static_cast<unsigned char>(bytes.back()) & 0x80;
    if (bytes.size() <= 8) {
        // Sign-extend to 64 bits.
        std::uint64_t bits = read_le(bytes.data(), bytes.size());
        if (negative && bytes.size() < 8) bits |= ~std::uint64_t{0} << (8 * bytes.size());
        return Value(static_cast<std::int64_t>(bits));
    }
    std::string magnitude(bytes);
    if (negative) negate(magnitude);
    Limbs limbs((magnitude.size() + 3) / 4, 0);
    for (std::size_t i = 0; i < magnitude.size(); ++i)
        limbs[i / 4] |= static_cast<std::uint32_t>(static_cast<unsigned char>(magnitude[i])) << (8 * (i % 4));
    while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
    // Peel off nine decimal digits at a time, least significant first.
    std::string digits;
    while (!limbs.empty()) {
        std::uint32_t chunk = divide(limbs, 1'000'000'000);
        for (int i = 0; i < 9; ++i, chunk /= 10) digits += static_cast<char>('0' + chunk % 10);
    }
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    if (digits.empty()) digits = "0";
    if (negative) digits += '-';
    std::reverse(digits.begin(), digits.end());
    return Value(BigInt{std::move(digits)});
}

std::string encode_long(const Value& integer) {
    std::string bytes;  // little-endian two's complement, shortened at the end
    if (integer.is<std::int64_t>()) {
        std::int64_t n = integer.as<std::int64_t>();
        if (n == 0) return {};
        auto bits = static_cast<std::uint64_t>(n);
        for (int i = 0; i < 8; ++i) bytes += static_cast<char>((bits >> (8 * i)) & 0xff);
    } else {
        std::string_view text = integer.as<BigInt>().decimal;
        const bool negative = text[0] == '-';
        std::string_view digits = text.substr(negative ? 1 : 0);
        if (digits.size() > max_long_digits)
            throw SerializationError("int with " + std::to_string(digits.size()) +
                                     " digits is too large to pickle here (the limit is " +
                                     std::to_string(max_long_digits) + " digits)");
        Limbs limbs;
        for (std::size_t i = 0; i < digits.size();) {
            std::size_t count = std::min<std::size_t>(9, digits.size() - i);
            std::uint32_t chunk = 0, factor = 1;
            for (std::size_t k = 0; k < count; ++k, ++i) {
                chunk = chunk * 10 + static_cast<std::uint32_t>(digits[i] - '0');
                factor *= 10;
            }
            multiply_add(limbs, factor, chunk);
        }
        for (auto limb : limbs)
            for (int i = 0; i < 4; ++i) bytes += static_cast<char>((limb >> (8 * i)) & 0xff);
        bytes += '\0';  // room for the sign bit
        if (negative) negate(bytes);
    }
    // Drop bytes that only repeat the sign: 0x00 above a byte whose top bit is clear, 0xff above one whose top bit is
    // set.
    while (bytes.size() > 1) {
        auto last = static_cast<unsigned char>(bytes[bytes.size() - 1]);
        bool below_negative = static_cast<unsigned char>(bytes[bytes.size() - 2]) & 0x80;
        if ((last == 0x00 && !below_negative) || (last == 0xff && below_negative)) bytes.pop_back();
        else break;
    }
    if (bytes.size() > max_long_bytes)
        throw SerializationError("int is too large to pickle here (" + std::to_string(bytes.size()) +
                                 " bytes; the limit is " + std::to_string(max_long_bytes) + ")");
    return bytes;
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string latin1_to_utf8(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (unsigned char c : bytes) append_utf8(out, c);
    return out;
}

std::optional<std::string> utf8_to_latin1(std::string_view text) {
    if (find_invalid_utf8(text, true)) return std::nullopt;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c == 0xC2 || c == 0xC3) {  // the two lead bytes of U+0080..U+00FF (the text is valid UTF-8)
            out += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F));
        } else {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace hpcexec::pickle
