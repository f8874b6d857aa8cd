#include "pickle_writer.hpp"

#include "pickle_opcodes.hpp"

#include <hpcexec/errors.hpp>

#include <algorithm>
#include <bit>
#include <limits>
#include <unordered_map>

namespace hpcexec::pickle {
namespace {

// Python's pickler ends a frame once it holds this much (pickle._FRAME_SIZE_TARGET).
constexpr std::size_t frame_size_target = 64 * 1024;
// FRAME's opcode and 8-byte length.
constexpr std::size_t frame_header_size = 9;
// Python appends and sets items in batches of this size (pickle._BATCHSIZE), so a MARK never spans a huge run.
constexpr std::size_t batch_size = 1000;

[[noreturn]] void fail(const ValuePath& path, const std::string& problem) {
    throw SerializationError("pickle: " + path.str() + ": " + problem);
}

std::string little_endian(std::uint64_t value, std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

// The kind of the first part of `v` that Python cannot hash ("list", "dict", "set"), or nullptr when `v` can be a dict
// key or a set item. An opaque object counts as hashable: only Python knows.
const char* unhashable_part(const Value& v, std::size_t depth_left) {
    if (depth_left == 0) return nullptr;  // too deep: Emitter::value() reports the depth itself
    if (v.is<List>()) return "list";
    if (v.is<Dict>()) return "dict";
    const std::vector<Value>* items = nullptr;
    if (v.is<Set>()) {
        if (!v.as<Set>().frozen) return "set";
        items = &v.as<Set>().items;
    } else if (v.is<Tuple>()) {
        items = &v.as<Tuple>().items;
    }
    if (items)
        for (const auto& item : *items)
            if (const char* kind = unhashable_part(item, depth_left - 1)) return kind;
    return nullptr;
}

}  // namespace

Emitter::Emitter(int protocol, std::size_t max_depth)
    : protocol_(protocol), declared_protocol_(protocol), max_depth_(max_depth) {
    if (protocol < lowest_write_protocol || protocol > highest_protocol)
        throw SerializationError("pickle: protocol " + std::to_string(protocol) + " cannot be written (use " +
                                 std::to_string(lowest_write_protocol) + " to " + std::to_string(highest_protocol) +
                                 ")");
}

// ---- Instructions and frames ----------------------------------------------------------------------------------------
//
// From protocol 4 on, Python groups instructions into frames (FRAME length, then that many bytes) so that its
// unpickler can read in large blocks. A frame must hold whole instructions, so every instruction goes through
// instruction() or sized(), which open a frame before it when none is open and close the frame after it once full.

void Emitter::instruction(std::uint8_t code, std::string_view argument) {
    if (protocol_ >= 4 && frame_start_ == std::string::npos) {
        frame_start_ = body_.size();
        body_ += static_cast<char>(op::FRAME);
        body_.append(8, '\0');  // the length, filled in when the frame is closed
    }
    body_ += static_cast<char>(code);
    body_ += argument;
    end_frame_if_full();
}

void Emitter::sized(std::uint8_t code, std::size_t length_size, std::string_view payload) {
    // The opcode, the length and the payload as one instruction, without copying the payload twice.
    std::string argument = little_endian(payload.size(), length_size);
    argument.reserve(length_size + payload.size());
    argument += payload;
    instruction(code, argument);
}

void Emitter::end_frame_if_full() {
    if (frame_start_ == std::string::npos) return;
    std::size_t size = body_.size() - frame_start_ - frame_header_size;
    if (size < frame_size_target) return;
    body_.replace(frame_start_ + 1, 8, little_endian(size, 8));
    frame_start_ = std::string::npos;
}

std::string Emitter::finish() {
    instruction(op::STOP);
    if (frame_start_ != std::string::npos) {
        body_.replace(frame_start_ + 1, 8, little_endian(body_.size() - frame_start_ - frame_header_size, 8));
        frame_start_ = std::string::npos;
    }
    std::string out;
    out.reserve(2 + body_.size());
    out += static_cast<char>(op::PROTO);
    out += static_cast<char>(declared_protocol_);
    out += body_;
    body_.clear();
    return out;
}

// ---- Memo -----------------------------------------------------------------------------------------------------------

std::uint32_t Emitter::memo_put() {
    std::uint32_t slot = next_slot_++;
    if (slot < 256) instruction(op::BINPUT, std::string(1, static_cast<char>(slot)));
    else instruction(op::LONG_BINPUT, little_endian(slot, 4));
    return slot;
}

void Emitter::memo_get(std::uint32_t slot) {
    if (slot < 256) instruction(op::BINGET, std::string(1, static_cast<char>(slot)));
    else instruction(op::LONG_BINGET, little_endian(slot, 4));
}

void Emitter::splice(std::string_view source, std::size_t begin, std::size_t end, std::uint64_t memo_base,
                     const ExternalGet& external) {
    std::unordered_map<std::uint64_t, std::uint32_t> slots;  // source memo index -> slot of this emitter
    std::uint64_t stores = 0;
    InstructionSplitter splitter(source, begin, end);
    while (!splitter.at_end()) {
        Instruction in = splitter.next();
        switch (in.code) {
            case op::PROTO:
            case op::FRAME: break;  // this emitter writes its own
            case op::STOP: throw_at(in, "STOP inside the object");
            case op::MEMOIZE: slots[memo_base + stores++] = memo_put(); break;
            case op::PUT:
            case op::BINPUT:
            case op::LONG_BINPUT:
                slots[memo_index(in)] = memo_put();
                ++stores;
                break;
            case op::GET:
            case op::BINGET:
            case op::LONG_BINGET: {
                std::uint64_t index = memo_index(in);
                if (auto it = slots.find(index); it != slots.end()) {
                    memo_get(it->second);
                } else if (external) {
                    external(index, in.offset);
                    slots[index] = memo_put();
                } else {
                    throw_at(in, "memo get of index " + std::to_string(index) + ", which the object does not define");
                }
                break;
            }
            default: {
                std::string_view bytes = in.bytes(source);
                instruction(static_cast<std::uint8_t>(bytes[0]), bytes.substr(1));
            }
        }
    }
}

// ---- Values ---------------------------------------------------------------------------------------------------------

void Emitter::value(const Value& v, const ValuePath& path, std::size_t depth) {
    if (depth > max_depth_) fail(path, "nested deeper than " + std::to_string(max_depth_) + " levels");
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, None>) {
                instruction(op::NONE);
            } else if constexpr (std::is_same_v<T, bool>) {
                instruction(x ? op::NEWTRUE : op::NEWFALSE);
            } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, BigInt>) {
                try {
                    integer(v);
                } catch (const SerializationError& e) {
                    fail(path, e.what());
                }
            } else if constexpr (std::is_same_v<T, double>) {
                // BINFLOAT is big-endian.
                std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
                std::string argument(8, '\0');
                for (int i = 0; i < 8; ++i)
                    argument[static_cast<std::size_t>(i)] = static_cast<char>((bits >> (8 * (7 - i))) & 0xff);
                instruction(op::BINFLOAT, argument);
            } else if constexpr (std::is_same_v<T, std::string>) {
                text(x, path);
            } else if constexpr (std::is_same_v<T, Bytes>) {
                bytes(x.data);
            } else if constexpr (std::is_same_v<T, List>) {
                instruction(op::EMPTY_LIST);
                items_in_batches(x, op::APPEND, op::APPENDS, path, depth);
            } else if constexpr (std::is_same_v<T, Tuple>) {
                constexpr std::uint8_t small_tuples[] = {op::EMPTY_TUPLE, op::TUPLE1, op::TUPLE2, op::TUPLE3};
                if (x.items.size() > 3) instruction(op::MARK);
                for (std::size_t i = 0; i < x.items.size(); ++i) value(x.items[i], path.index(i), depth + 1);
                instruction(x.items.size() > 3 ? op::TUPLE : small_tuples[x.items.size()]);
            } else if constexpr (std::is_same_v<T, Dict>) {
                dict(x, path, depth);
            } else if constexpr (std::is_same_v<T, Set>) {
                set(x, path, depth);
            } else {
                opaque(x, path);
            }
        },
        v.variant());
}

void Emitter::global(std::string_view module, std::string_view name) {
    if (module.find('\n') != std::string_view::npos || name.find('\n') != std::string_view::npos)
        throw SerializationError("pickle: a global name with a newline cannot be written");
    std::string argument;
    argument.append(module).append(1, '\n').append(name).append(1, '\n');
    instruction(op::GLOBAL, argument);
}

void Emitter::integer(const Value& n) {
    if (n.is<std::int64_t>()) {
        // The shortest of Python's forms: BININT1, BININT2, BININT (signed 32 bits), else LONG1.
        std::int64_t i = n.as<std::int64_t>();
        if (i >= 0 && i < 256) return instruction(op::BININT1, little_endian(static_cast<std::uint64_t>(i), 1));
        if (i >= 0 && i < 65536) return instruction(op::BININT2, little_endian(static_cast<std::uint64_t>(i), 2));
        if (i >= std::numeric_limits<std::int32_t>::min() && i <= std::numeric_limits<std::int32_t>::max())
            return instruction(op::BININT, little_endian(static_cast<std::uint64_t>(i), 4));
    }
    std::string encoded = encode_long(n);
    if (encoded.size() < 256) sized(op::LONG1, 1, encoded);
    else sized(op::LONG4, 4, encoded);
}

void Emitter::text(const std::string& text, const ValuePath& path) {
    // Python decodes with "surrogatepass", so encoded lone surrogates are fine; anything else invalid is not.
    if (auto offset = find_invalid_utf8(text, true))
        fail(path, "str is not valid UTF-8 (at byte " + std::to_string(*offset) +
                       "), so Python could not read it; use Bytes for binary data");
    if (protocol_ >= 4 && text.size() < 256) sized(op::SHORT_BINUNICODE, 1, text);
    else if (text.size() <= std::numeric_limits<std::uint32_t>::max()) sized(op::BINUNICODE, 4, text);
    else if (protocol_ >= 4) sized(op::BINUNICODE8, 8, text);
    else fail(path, "a str of 4 GiB or more needs protocol 4 or higher");
}

void Emitter::bytes(const std::string& data) {
    if (protocol_ >= 3) {
        if (data.size() < 256) sized(op::SHORT_BINBYTES, 1, data);
        else if (data.size() <= std::numeric_limits<std::uint32_t>::max()) sized(op::BINBYTES, 4, data);
        else if (protocol_ >= 4) sized(op::BINBYTES8, 8, data);
        else throw SerializationError("pickle: bytes of 4 GiB or more need protocol 4 or higher");
        return;
    }
    // Protocol 2 has no bytes opcode: Python 3 writes bytes(), or _codecs.encode(<the bytes as latin-1 text>,
    // "latin1").
    if (data.empty()) {
        global("__builtin__", "bytes");
        instruction(op::EMPTY_TUPLE);
    } else {
        global("_codecs", "encode");
        sized(op::BINUNICODE, 4, latin1_to_utf8(data));
        sized(op::BINUNICODE, 4, "latin1");
        instruction(op::TUPLE2);
    }
    instruction(op::REDUCE);
}

void Emitter::items_in_batches(const std::vector<Value>& items, std::uint8_t single, std::uint8_t batch,
                               const ValuePath& path, std::size_t depth) {
    for (std::size_t start = 0; start < items.size(); start += batch_size) {
        std::size_t stop = std::min(items.size(), start + batch_size);
        // A batch of one uses the single-item opcode (APPEND), as Python does; ADDITEMS has no such twin and is
        // passed as both, so it always gets its MARK.
        bool marked = stop - start > 1 || single == batch;
        if (marked) instruction(op::MARK);
        for (std::size_t i = start; i < stop; ++i) value(items[i], path.index(i), depth + 1);
        instruction(marked ? batch : single);
    }
}

void Emitter::dict(const Dict& dict, const ValuePath& path, std::size_t depth) {
    instruction(op::EMPTY_DICT);
    const auto& items = dict.items;
    for (std::size_t start = 0; start < items.size(); start += batch_size) {
        std::size_t stop = std::min(items.size(), start + batch_size);
        if (stop - start > 1) instruction(op::MARK);
        for (std::size_t i = start; i < stop; ++i) {
            const auto& [key, item] = items[i];
            ValuePath item_path = path.key(key);
            if (const char* kind = unhashable_part(key, max_depth_ - std::min(depth, max_depth_)))
                fail(item_path, std::string("a dict key holding a ") + kind + " (" + key.repr() +
                                    ") cannot be read by Python (dict keys must be hashable)");
            value(key, item_path, depth + 1);
            value(item, item_path, depth + 1);
        }
        instruction(stop - start > 1 ? op::SETITEMS : op::SETITEM);
    }
}

void Emitter::set(const Set& set, const ValuePath& path, std::size_t depth) {
    for (std::size_t i = 0; i < set.items.size(); ++i)
        if (const char* kind = unhashable_part(set.items[i], max_depth_ - std::min(depth, max_depth_)))
            fail(path.index(i), std::string("a set item holding a ") + kind +
                                    " cannot be read by Python (set items must be hashable)");
    if (protocol_ >= 4) {
        if (set.frozen) {
            instruction(op::MARK);
            for (std::size_t i = 0; i < set.items.size(); ++i) value(set.items[i], path.index(i), depth + 1);
            instruction(op::FROZENSET);
        } else {
            instruction(op::EMPTY_SET);
            items_in_batches(set.items, op::ADDITEMS, op::ADDITEMS, path, depth);
        }
        return;
    }
    // Before protocol 4 Python writes set(<list>) / frozenset(<list>) as a call.
    global(protocol_ == 2 ? "__builtin__" : "builtins", set.frozen ? "frozenset" : "set");
    instruction(op::EMPTY_LIST);
    items_in_batches(set.items, op::APPEND, op::APPENDS, path, depth);
    instruction(op::TUPLE1);
    instruction(op::REDUCE);
}

void Emitter::opaque(const Opaque& opaque, const ValuePath& path) {
    if (opaque.format != "pickle")
        fail(path,
             "an opaque " + opaque.type_name + " of format '" + opaque.format + "' cannot be written as a pickle");
    const std::string& data = opaque.data;
    int source_protocol = 0;
    try {
        // The document is [PROTO n] <instructions> STOP; splice() refuses a STOP anywhere else.
        std::size_t begin = 0;
        if (!data.empty() && static_cast<std::uint8_t>(data[0]) == op::PROTO) {
            Instruction proto = InstructionSplitter(data).next();
            source_protocol = static_cast<int>(proto.number);
            begin = proto.end;
        }
        if (data.size() <= begin || static_cast<std::uint8_t>(data.back()) != op::STOP)
            throw SerializationError("it does not end with STOP");
        splice(data, begin, data.size() - 1, 0, {});
    } catch (const SerializationError& e) {
        fail(path, "the document of the opaque " + opaque.type_name + " is not a pickle of one object: " + e.what());
    }
    if (source_protocol < 3) declared_protocol_ = std::min(declared_protocol_, 2);
}

std::string write_pickle(const Value& value, const WriteOptions& options) {
    Emitter emitter(options.protocol, options.max_depth);
    emitter.value(value, ValuePath{}, 0);
    return emitter.finish();
}

}  // namespace hpcexec::pickle
