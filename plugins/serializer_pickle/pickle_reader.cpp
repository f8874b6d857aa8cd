// The unpickler: a stack machine like CPython's, except that it never imports or calls anything.
//
// While reading, containers are shared and mutable exactly as in Python: a list can be memoized while still empty,
// filled afterwards, and referred to again later; every reference must then see the filled list. So containers live
// in a node table (Unpickler::nodes_) and the stack and memo hold references to them; immutable scalars are held by
// value. Only at STOP is the object tree turned into a Value ("materialized"), which copies what is shared, refuses
// cycles and enforces the depth limit. The node table is flat, so even a hostile nesting of a million lists is
// destroyed without recursion.
//
// An object the reader cannot decode becomes an Opaque node that remembers the byte range of the instructions that
// built it. With Python's stack discipline that range is contiguous: everything pushed after the object's first
// instruction either becomes part of it or is consumed before it is complete. The only links out of the range are
// memo gets of objects defined before it; when the opaque document is made, such a get is replaced by a pickle of
// that object (see Unpickler::isolate).
#include "pickle_reader.hpp"

#include "pickle_opcodes.hpp"
#include "pickle_writer.hpp"

#include <hpcexec/errors.hpp>

#include <algorithm>
#include <charconv>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace hpcexec::pickle {
namespace {

struct NodeRef {
    std::size_t id;
};
// An object on the stack or in the memo: a scalar by value, or a reference to a node.
using Object = std::variant<Value, NodeRef>;

enum class NodeKind : std::uint8_t { list, tuple, dict, set, frozenset, global, opaque };

struct Node {
    NodeKind kind;
    // list, tuple, set, frozenset: the items; dict: key, value, key, value...
    std::vector<Object> items;
    // global: the reference; opaque: `name` is the type name.
    std::string module;
    std::string name;
    // opaque: [begin, end) are the instructions that build it, memo_base is len(memo) at `begin`.
    std::size_t begin = 0;
    std::size_t end = 0;
    std::size_t memo_base = 0;
    // opaque and global: the self-contained document, made on first use.
    std::optional<std::string> document;
    // Set while materializing this node, to detect a value that contains itself.
    bool visiting = false;
};

struct StackEntry {
    Object object;
    // Offset of the first instruction that built this object, and len(memo) there: where an opaque object built from
    // it starts.
    std::size_t begin;
    std::size_t memo_size;
    // Pushed by DUP: its instructions start before a copy that is still on the stack, so no range isolates it.
    bool from_dup = false;
};

struct Mark {
    std::size_t stack_size;
    std::size_t offset;
    std::size_t memo_size;
};

// Callables whose result is really described by their first argument (a class): name the opaque after that.
bool is_reconstructor(std::string_view qualified_name) {
    return qualified_name == "copyreg._reconstructor" || qualified_name == "copy_reg._reconstructor" ||
           qualified_name == "copyreg.__newobj__" || qualified_name == "copyreg.__newobj_ex__" ||
           qualified_name == "numpy.core.multiarray._reconstruct" ||
           qualified_name == "numpy._core.multiarray._reconstruct";
}

bool is_builtins(std::string_view module) { return module == "builtins" || module == "__builtin__"; }
// True when `v` is a scalar "latin1" or "latin-1" (it is null when the argument is no scalar).
bool is_latin1_name(const Value* v) {
    return v && v->is<std::string>() && (v->as<std::string>() == "latin1" || v->as<std::string>() == "latin-1");
}

std::size_t payload_size(const Value& v) {
    if (v.is<std::string>()) return v.as<std::string>().size();
    if (v.is<Bytes>()) return v.as<Bytes>().data.size();
    if (v.is<BigInt>()) return v.as<BigInt>().decimal.size();
    return 0;
}

// Python's raw-unicode-escape, which protocol 0's UNICODE uses: bytes are latin-1 code points, except that
// \uXXXX and \UXXXXXXXX after an odd number of backslashes are escapes.
std::string decode_raw_unicode_escape(const Instruction& in) {
    std::string_view text = in.text;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] != '\\') {
            append_utf8(out, static_cast<unsigned char>(text[i++]));
            continue;
        }
        std::size_t run_end = text.find_first_not_of('\\', i);
        if (run_end == std::string_view::npos) run_end = text.size();
        std::size_t run = run_end - i;
        bool escape = run % 2 == 1 && run_end < text.size() && (text[run_end] == 'u' || text[run_end] == 'U');
        out.append(escape ? run - 1 : run, '\\');
        i = run_end;
        if (!escape) continue;
        std::size_t digits = text[run_end] == 'u' ? 4 : 8;
        std::uint32_t code_point = 0;
        auto first = text.data() + run_end + 1;
        if (run_end + 1 + digits > text.size() ||
            std::from_chars(first, first + digits, code_point, 16).ptr != first + digits || code_point > 0x10FFFF)
            throw_at(in, "invalid \\" + std::string(1, text[run_end]) + " escape");
        append_utf8(out, code_point);
        i = run_end + 1 + digits;
    }
    return out;
}

// An int from decimal text (INT and LONG), with an optional sign.
Value parse_decimal(const Instruction& in, std::string_view text) {
    if (!text.empty() && text[0] == '+') text.remove_prefix(1);
    if (text.size() > max_long_digits + 1) throw_at(in, "int too large (" + std::to_string(text.size()) + " digits)");
    try {
        return Value(BigInt{std::string(text)});
    } catch (const SerializationError&) {
        throw_at(in, "invalid int '" + std::string(text) + "'");
    }
}

class Unpickler {
public:
    Unpickler(std::string_view data, const ReadOptions& options) : data_(data), options_(options) {}

    Value run(std::size_t& size) {
        InstructionSplitter splitter(data_);
        while (true) {
            Instruction in = splitter.next();
            offset_ = in.offset;
            if (in.code == op::STOP) {
                if (!marks_.empty()) throw_at(in, "a MARK is still open");
                if (stack_.size() != 1)
                    throw_at(in, "the stack holds " + std::to_string(stack_.size()) + " objects instead of 1");
                size = in.end;
                return materialize(stack_.back().object, 0);
            }
            execute(in);
        }
    }

private:
    // ---- Stack ----------------------------------------------------------------------------------------------------
    // Python keeps the objects above the last MARK as "the stack" and the rest aside; so do these helpers: nothing
    // pops below the last mark.

    std::size_t stack_floor() const { return marks_.empty() ? 0 : marks_.back().stack_size; }

    void push(Object object, std::size_t begin, std::size_t memo_size, bool from_dup = false) {
        charge(sizeof(StackEntry) +
               (std::holds_alternative<Value>(object) ? payload_size(std::get<Value>(object)) : 0));
        stack_.push_back(StackEntry{std::move(object), begin, memo_size, from_dup});
    }
    // Pushes an object built by `in` alone.
    void push_new(Object object, const Instruction& in) { push(std::move(object), in.offset, memo_.size()); }

    StackEntry& top(const Instruction& in) {
        if (stack_.size() <= stack_floor()) throw_at(in, "stack underflow");
        return stack_.back();
    }
    StackEntry pop(const Instruction& in) {
        StackEntry entry = std::move(top(in));
        stack_.pop_back();
        return entry;
    }
    // Pops the objects above the last MARK and the mark itself.
    std::vector<Object> pop_mark(const Instruction& in, Mark& mark) {
        if (marks_.empty()) throw_at(in, "no MARK to pop to");
        mark = marks_.back();
        marks_.pop_back();
        std::vector<Object> objects;
        objects.reserve(stack_.size() - mark.stack_size);
        for (auto it = stack_.begin() + static_cast<std::ptrdiff_t>(mark.stack_size); it != stack_.end(); ++it)
            objects.push_back(std::move(it->object));
        stack_.resize(mark.stack_size);
        return objects;
    }

    // ---- Nodes ----------------------------------------------------------------------------------------------------

    NodeRef new_node(NodeKind kind, std::vector<Object> items = {}) {
        charge(sizeof(Node));
        nodes_.push_back(Node{kind, std::move(items), {}, {}, 0, 0, 0, std::nullopt, false});
        return NodeRef{nodes_.size() - 1};
    }
    Node* node_of(const Object& object) {
        const NodeRef* ref = std::get_if<NodeRef>(&object);
        return ref ? &nodes_[ref->id] : nullptr;
    }
    Node* node_of(const Object& object, NodeKind kind) {
        Node* node = node_of(object);
        return node && node->kind == kind ? node : nullptr;
    }

    static const char* kind_name(NodeKind kind) {
        switch (kind) {
            case NodeKind::list: return "list";
            case NodeKind::tuple: return "tuple";
            case NodeKind::dict: return "dict";
            case NodeKind::set: return "set";
            case NodeKind::frozenset: return "frozenset";
            case NodeKind::global: return "global";
            case NodeKind::opaque: return "object";
        }
        return "object";
    }
    // "module.name"; the Python 2 names that protocols 0 to 2 write read like the Python 3 names they stand for.
    static std::string global_name(const Node& node) {
        std::string_view module = node.module;
        if (module == "__builtin__") module = "builtins";
        if (module == "copy_reg") module = "copyreg";
        return std::string(module) + "." + node.name;
    }
    // What an object is, for type names and messages: "fractions.Fraction", "list", "str".
    std::string describe(const Object& object) {
        if (const auto* v = std::get_if<Value>(&object)) return v->kind_name();
        const Node& node = nodes_[std::get<NodeRef>(object).id];
        if (node.kind == NodeKind::global) return global_name(node);
        if (node.kind == NodeKind::opaque) return node.name;
        return kind_name(node.kind);
    }

    // An opaque object built by the instructions from `first` (or from a MARK) up to `in`.
    NodeRef new_opaque(std::string type_name, std::size_t begin, std::size_t memo_size, const Instruction& in) {
        NodeRef ref = new_node(NodeKind::opaque);
        Node& node = nodes_[ref.id];
        node.name = std::move(type_name);
        node.begin = begin;
        node.memo_base = memo_size;
        node.end = in.end;
        return ref;
    }
    NodeRef new_opaque(std::string type_name, const StackEntry& first, const Instruction& in) {
        if (first.from_dup) throw_at(in, "an object built from a DUP copy cannot be kept as an opaque value");
        return new_opaque(std::move(type_name), first.begin, first.memo_size, in);
    }
    // `in` changes the opaque object `target` (BUILD, APPEND...): the object's range grows to include it. That only
    // stays one contiguous range when `target` is the entry made where the object was built (not a memo get).
    void extend_opaque(Node& node, const StackEntry& target, const Instruction& in) {
        if (target.begin != node.begin)
            throw_at(in,
                     "the opaque " + node.name + " is changed away from where it is built, so it cannot be cut out");
        node.end = in.end;
    }

    // ---- Memory ---------------------------------------------------------------------------------------------------

    void charge(std::size_t bytes) {
        used_ += bytes;
        if (used_ > options_.max_memory)
            throw_at(offset_, "decoding needs more than the memory limit of " +
                                  std::to_string(options_.max_memory / (1024 * 1024)) + " MiB");
    }

    // ---- Instructions ---------------------------------------------------------------------------------------------

    void execute(const Instruction& in) {
        switch (in.code) {
            case op::PROTO:
                if (in.number > static_cast<std::uint64_t>(highest_protocol))
                    throw_at(in, "unsupported pickle protocol " + std::to_string(in.number));
                protocol_ = static_cast<int>(in.number);
                return;
            case op::FRAME:
                // Only a hint for buffering; the instructions inside are read like any others.
                if (in.number > data_.size() - in.end)
                    throw_at(in, "truncated input: the frame needs " + std::to_string(in.number) + " bytes, " +
                                     std::to_string(data_.size() - in.end) + " left");
                return;

            // Scalars.
            case op::NONE: return push_new(Value(), in);
            case op::NEWTRUE: return push_new(Value(true), in);
            case op::NEWFALSE: return push_new(Value(false), in);
            case op::BININT: return push_new(Value(in.signed_number()), in);
            case op::BININT1:
            case op::BININT2: return push_new(Value(in.number), in);
            case op::INT:
                // Protocol 0 writes True and False as INT 01 and INT 00.
                if (in.text == "01" || in.text == "00") return push_new(Value(in.text == "01"), in);
                return push_new(parse_decimal(in, in.text), in);
            case op::LONG: {
                std::string_view text = in.text;
                if (!text.empty() && text.back() == 'L') text.remove_suffix(1);
                return push_new(parse_decimal(in, text), in);
            }
            case op::LONG1:
            case op::LONG4:
                if (in.text.size() > max_long_bytes)
                    throw_at(in, "int too large (" + std::to_string(in.text.size()) + " bytes; the limit is " +
                                     std::to_string(max_long_bytes) + ")");
                return push_new(decode_long(in.text), in);
            case op::BINFLOAT: return push_new(Value(in.real), in);
            case op::FLOAT: {
                double d = 0;
                auto [end, error] = std::from_chars(in.text.data(), in.text.data() + in.text.size(), d);
                if (error != std::errc() || end != in.text.data() + in.text.size())
                    throw_at(in, "invalid float '" + std::string(in.text) + "'");
                return push_new(Value(d), in);
            }
            case op::SHORT_BINUNICODE:
            case op::BINUNICODE:
            case op::BINUNICODE8:
                if (auto bad = find_invalid_utf8(in.text, true))
                    throw_at(in, "str is not valid UTF-8 (at byte " + std::to_string(*bad) + ")");
                return push_new(Value(std::string(in.text)), in);
            case op::UNICODE: return push_new(Value(decode_raw_unicode_escape(in)), in);
            case op::SHORT_BINSTRING:
            case op::BINSTRING:
                // A Python 2 str. Python 3 reads it with its default encoding "ASCII".
                if (std::any_of(in.text.begin(), in.text.end(),
                                [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
                    throw_at(in, "a Python 2 str with non-ASCII bytes (Python 3 reads it only with encoding='bytes')");
                return push_new(Value(std::string(in.text)), in);
            case op::STRING: throw_at(in, "the protocol 0 Python 2 str is not supported");
            case op::SHORT_BINBYTES:
            case op::BINBYTES:
            case op::BINBYTES8:
            case op::BYTEARRAY8: return push_new(Value(Bytes{std::string(in.text)}), in);

            // Containers.
            case op::EMPTY_LIST: return push_new(new_node(NodeKind::list), in);
            case op::EMPTY_TUPLE: return push_new(new_node(NodeKind::tuple), in);
            case op::EMPTY_DICT: return push_new(new_node(NodeKind::dict), in);
            case op::EMPTY_SET: return push_new(new_node(NodeKind::set), in);
            case op::LIST:
            case op::TUPLE:
            case op::FROZENSET:
            case op::DICT: {
                Mark mark;
                auto objects = pop_mark(in, mark);
                if (in.code == op::DICT && objects.size() % 2 != 0) throw_at(in, "an odd number of keys and values");
                NodeKind kind = in.code == op::LIST    ? NodeKind::list
                                : in.code == op::TUPLE ? NodeKind::tuple
                                : in.code == op::DICT  ? NodeKind::dict
                                                       : NodeKind::frozenset;
                return push(new_node(kind, std::move(objects)), mark.offset, mark.memo_size);
            }
            case op::TUPLE1:
            case op::TUPLE2:
            case op::TUPLE3: {
                std::size_t count = in.code - op::TUPLE1 + 1u;
                if (stack_.size() - stack_floor() < count) throw_at(in, "stack underflow");
                // The tuple starts where its first item does.
                const StackEntry first = stack_[stack_.size() - count];
                std::vector<Object> objects;
                for (std::size_t i = stack_.size() - count; i < stack_.size(); ++i)
                    objects.push_back(std::move(stack_[i].object));
                stack_.resize(stack_.size() - count);
                return push(new_node(NodeKind::tuple, std::move(objects)), first.begin, first.memo_size,
                            first.from_dup);
            }
            case op::APPEND: {
                StackEntry item = pop(in);
                std::vector<Object> items;
                items.push_back(std::move(item.object));
                return add_items(in, std::move(items), NodeKind::list);
            }
            case op::APPENDS:
            case op::SETITEMS:
            case op::ADDITEMS: {
                Mark mark;
                auto objects = pop_mark(in, mark);
                if (in.code == op::SETITEMS && objects.size() % 2 != 0)
                    throw_at(in, "an odd number of keys and values");
                return add_items(in, std::move(objects),
                                 in.code == op::APPENDS ? NodeKind::list
                                 : in.code == op::SETITEMS ? NodeKind::dict
                                                           : NodeKind::set);
            }
            case op::SETITEM: {
                StackEntry item = pop(in);
                StackEntry key = pop(in);
                std::vector<Object> items;
                items.push_back(std::move(key.object));
                items.push_back(std::move(item.object));
                return add_items(in, std::move(items), NodeKind::dict);
            }

            // Stack and memo.
            case op::MARK:
                charge(sizeof(Mark));
                marks_.push_back(Mark{stack_.size(), in.offset, memo_.size()});
                return;
            case op::POP:
                if (stack_.size() > stack_floor()) stack_.pop_back();
                else if (!marks_.empty()) marks_.pop_back();  // as Python does: POP on an empty stack drops the MARK
                else throw_at(in, "stack underflow");
                return;
            case op::POP_MARK: {
                Mark mark;
                pop_mark(in, mark);
                return;
            }
            case op::DUP: {
                Object copy = top(in).object;
                return push(std::move(copy), in.offset, memo_.size(), true);
            }
            case op::MEMOIZE: return memo_put(in, memo_.size());
            case op::PUT:
            case op::BINPUT:
            case op::LONG_BINPUT: return memo_put(in, memo_index(in));
            case op::GET:
            case op::BINGET:
            case op::LONG_BINGET: {
                std::uint64_t index = memo_index(in);
                auto it = memo_.find(index);
                if (it == memo_.end()) throw_at(in, "memo get of unknown index " + std::to_string(index));
                return push(it->second, in.offset, memo_.size());
            }

            // Objects the reader does not decode.
            case op::GLOBAL: {
                if (find_invalid_utf8(in.text) || find_invalid_utf8(in.text2))
                    throw_at(in, "the name is not valid UTF-8");
                return push_new(new_global(std::string(in.text), std::string(in.text2)), in);
            }
            case op::STACK_GLOBAL: {
                StackEntry name = pop(in);
                StackEntry module = pop(in);
                const auto* module_text = std::get_if<Value>(&module.object);
                const auto* name_text = std::get_if<Value>(&name.object);
                if (!module_text || !name_text || !module_text->is<std::string>() || !name_text->is<std::string>())
                    throw_at(in, "the module and name must be str");
                NodeRef ref = new_global(module_text->as<std::string>(), name_text->as<std::string>());
                return push(ref, module.begin, module.memo_size, module.from_dup);
            }
            case op::REDUCE: {
                StackEntry args = pop(in);
                StackEntry callable = pop(in);
                return reduce(in, callable, args);
            }
            case op::BUILD: {
                pop(in);  // the state
                StackEntry& target = top(in);
                Node* node = node_of(target.object, NodeKind::opaque);
                if (!node) throw_at(in, "BUILD on a " + describe(target.object));
                return extend_opaque(*node, target, in);
            }
            case op::NEWOBJ:
            case op::NEWOBJ_EX: {
                if (in.code == op::NEWOBJ_EX) pop(in);  // keyword arguments
                pop(in);                                // arguments
                StackEntry cls = pop(in);
                std::string type_name = describe(cls.object);
                return push(new_opaque(std::move(type_name), cls, in), cls.begin, cls.memo_size);
            }
            case op::INST:
            case op::OBJ: {
                Mark mark;
                auto objects = pop_mark(in, mark);
                std::string type_name;
                if (in.code == op::INST) {
                    type_name = std::string(in.text) + "." + std::string(in.text2);
                } else {
                    if (objects.empty()) throw_at(in, "no class to instantiate");
                    type_name = describe(objects[0]);
                }
                return push(new_opaque(std::move(type_name), mark.offset, mark.memo_size, in), mark.offset,
                            mark.memo_size);
            }
            case op::PERSID:
            case op::BINPERSID:
                throw_at(in, "persistent IDs are not supported (they need the writer's persistent_load)");
            case op::EXT1:
            case op::EXT2:
            case op::EXT4: throw_at(in, "extension registry codes (copyreg.add_extension) are not supported");
            case op::NEXT_BUFFER:
            case op::READONLY_BUFFER:
                throw_at(in, "out-of-band buffers are not supported (pickle with buffer_callback=None)");
            default: throw_at(in, "unexpected opcode");
        }
    }

    NodeRef new_global(std::string module, std::string name) {
        NodeRef ref = new_node(NodeKind::global);
        nodes_[ref.id].module = std::move(module);
        nodes_[ref.id].name = std::move(name);
        return ref;
    }

    // APPEND(S), SETITEM(S), ADDITEMS: `items` go into the object on top of the stack, which must be a `kind` node
    // (or an opaque object, whose own code would take them in Python).
    void add_items(const Instruction& in, std::vector<Object> items, NodeKind kind) {
        StackEntry& target = top(in);
        Node* node = node_of(target.object);
        if (node && node->kind == NodeKind::opaque) return extend_opaque(*node, target, in);
        if (!node || node->kind != kind)
            throw_at(in, std::string("cannot add items to a ") + describe(target.object) + " (expected a " +
                             kind_name(kind) + ")");
        charge(items.size() * sizeof(Object));
        for (auto& item : items) node->items.push_back(std::move(item));
    }

    void memo_put(const Instruction& in, std::uint64_t index) {
        const StackEntry& entry = top(in);
        charge(sizeof(Object) +
               (std::holds_alternative<Value>(entry.object) ? payload_size(std::get<Value>(entry.object)) : 0));
        auto [it, inserted] = memo_.insert_or_assign(index, entry.object);
        if (!inserted) memo_redefined_ = true;
    }

    // REDUCE: callable(*args). The calls Python's pickler itself uses for built-in types are decoded; any other call
    // becomes an opaque object.
    void reduce(const Instruction& in, const StackEntry& callable, const StackEntry& args) {
        const Node* function = node_of(callable.object, NodeKind::global);
        const Node* arguments = node_of(args.object, NodeKind::tuple);
        if (function && arguments) {
            if (std::optional<Object> result = builtin_call(in, *function, arguments->items))
                return push(std::move(*result), callable.begin, callable.memo_size, callable.from_dup);
        }
        std::string type_name = describe(callable.object);
        if (is_reconstructor(type_name) && arguments && !arguments->items.empty() &&
            node_of(arguments->items[0], NodeKind::global))
            type_name = describe(arguments->items[0]);
        push(new_opaque(std::move(type_name), callable, in), callable.begin, callable.memo_size);
    }

    std::optional<Object> builtin_call(const Instruction& in, const Node& function, const std::vector<Object>& args) {
        auto scalar = [&](std::size_t i) -> const Value* {
            return i < args.size() ? std::get_if<Value>(&args[i]) : nullptr;
        };
        auto latin1_bytes = [&](const Value& text) -> Object {
            auto bytes = utf8_to_latin1(text.as<std::string>());
            if (!bytes) throw_at(in, "text for latin-1 bytes holds a character above U+00FF");
            return Value(Bytes{std::move(*bytes)});
        };
        // _codecs.encode(text, "latin1"): protocol 2's bytes.
        if ((function.module == "_codecs" || function.module == "codecs") && function.name == "encode") {
            if (args.size() == 2 && scalar(0) && scalar(0)->is<std::string>() && is_latin1_name(scalar(1)))
                return latin1_bytes(*scalar(0));
            return std::nullopt;
        }
        if (!is_builtins(function.module)) return std::nullopt;
        if (function.name == "bytes" && args.empty()) return Value(Bytes{});
        if (function.name == "bytearray") {
            // bytearray() / bytearray(b"...") / bytearray("...", "latin-1"): read as bytes.
            if (args.empty()) return Value(Bytes{});
            if (args.size() == 1 && scalar(0) && scalar(0)->is<Bytes>()) return *scalar(0);
            if (args.size() == 2 && scalar(0) && scalar(0)->is<std::string>() && is_latin1_name(scalar(1)))
                return latin1_bytes(*scalar(0));
            return std::nullopt;
        }
        if (function.name == "set" || function.name == "frozenset") {
            // set([...]) / frozenset([...]): protocols 2 and 3 have no set opcodes.
            NodeKind kind = function.name == "set" ? NodeKind::set : NodeKind::frozenset;
            if (args.empty()) return Object(new_node(kind));
            const Node* source = args.size() == 1 ? node_of(args[0]) : nullptr;
            if (source && (source->kind == NodeKind::list || source->kind == NodeKind::tuple ||
                           source->kind == NodeKind::set || source->kind == NodeKind::frozenset)) {
                std::vector<Object> items = source->items;  // a snapshot, as Python's set(list) takes
                charge(items.size() * sizeof(Object));
                return Object(new_node(kind, std::move(items)));
            }
        }
        return std::nullopt;
    }

    // ---- Materializing ----------------------------------------------------------------------------------------------

    Value materialize(const Object& object, std::size_t depth) {
        if (depth > options_.max_depth)
            throw SerializationError("pickle: the value is nested deeper than " + std::to_string(options_.max_depth) +
                                     " levels");
        charge(sizeof(Value));
        if (const auto* v = std::get_if<Value>(&object)) {
            charge(payload_size(*v));
            return *v;
        }
        Node& node = nodes_[std::get<NodeRef>(object).id];
        if (node.visiting)
            throw SerializationError(std::string("pickle: the value contains itself (a reference cycle through a ") +
                                     kind_name(node.kind) + "), which a Value cannot represent");
        node.visiting = true;
        Value result = materialize_node(node, depth);
        node.visiting = false;
        return result;
    }

    Value materialize_node(Node& node, std::size_t depth) {
        auto all = [&](const std::vector<Object>& items) {
            std::vector<Value> values;
            values.reserve(items.size());
            for (const auto& item : items) values.push_back(materialize(item, depth + 1));
            return values;
        };
        switch (node.kind) {
            case NodeKind::list: return Value(all(node.items));
            case NodeKind::tuple: return Value(Tuple{all(node.items)});
            case NodeKind::set:
            case NodeKind::frozenset: return Value(Set{all(node.items), node.kind == NodeKind::frozenset});
            case NodeKind::dict: {
                Dict dict;
                dict.items.reserve(node.items.size() / 2);
                for (std::size_t i = 0; i + 1 < node.items.size(); i += 2) {
                    Value key = materialize(node.items[i], depth + 1);
                    dict.items.emplace_back(std::move(key), materialize(node.items[i + 1], depth + 1));
                }
                return Value(std::move(dict));
            }
            case NodeKind::global:
            case NodeKind::opaque: break;
        }
        std::string type_name = node.kind == NodeKind::global ? "global " + global_name(node) : node.name;
        if (!options_.allow_opaque)
            throw_at(node.begin,
                     "cannot decode an object of type " + type_name + " (opaque values are not allowed here)");
        if (!node.document) {
            node.document = node.kind == NodeKind::global ? global_document(node) : isolate(node, depth);
            charge(node.document->size());
        }
        charge(node.document->size());
        return Value(Opaque{"pickle", std::move(type_name), *node.document});
    }

    // The protocol of the documents made for opaque objects: the input's, so that Python reads their instructions
    // the same way (protocols below 3 map Python 2 module names); PROTO itself needs 2.
    int document_protocol() const { return std::max(protocol_, lowest_write_protocol); }

    std::string global_document(const Node& node) {
        Emitter emitter(document_protocol(), options_.max_depth);
        emitter.global(node.module, node.name);
        return emitter.finish();
    }

    // A complete pickle of the opaque object alone: the instructions of its range, with every memo get of an object
    // defined before the range replaced by a pickle of that object (written once, then memoized).
    std::string isolate(const Node& node, std::size_t depth) {
        if (memo_redefined_)
            throw_at(node.begin, "the opaque " + node.name +
                                     " cannot be cut out: the pickle stores twice into one memo index");
        Emitter emitter(document_protocol(), options_.max_depth);
        emitter.splice(data_, node.begin, node.end, node.memo_base, [&](std::uint64_t index, std::size_t) {
            // The get succeeded while reading, and memo entries are never removed.
            emitter.value(materialize(memo_.at(index), depth + 1), ValuePath{}, 0);
        });
        return emitter.finish();
    }

    std::string_view data_;
    ReadOptions options_;
    int protocol_ = 0;
    std::size_t offset_ = 0;  // of the instruction being executed, for messages
    std::size_t used_ = 0;    // memory charged so far
    std::vector<StackEntry> stack_;
    std::vector<Mark> marks_;
    std::unordered_map<std::uint64_t, Object> memo_;
    bool memo_redefined_ = false;
    std::deque<Node> nodes_;  // a deque: references stay valid while nodes are added
};

}  // namespace

Value read_pickle_prefix(std::string_view data, std::size_t& size, const ReadOptions& options) {
    return Unpickler(data, options).run(size);
}

Value read_pickle(std::string_view data, const ReadOptions& options) {
    std::size_t size = 0;
    Value value = read_pickle_prefix(data, size, options);
    if (size != data.size())
        throw_at(size, std::to_string(data.size() - size) + " bytes of unexpected data after STOP");
    return value;
}

}  // namespace hpcexec::pickle
