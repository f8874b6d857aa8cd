// Writing Values as Python pickles (protocols 2 to 5), readable by CPython 3.8 and later.
#pragma once

#include <hpcexec/value.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec::pickle {

/// The protocol written when none is configured: 4 is read by every Python from 3.4 on (5 needs 3.8), frames its
/// output and has the compact opcodes for short strings and sets; 5 only adds out-of-band buffers, which hpcexec
/// does not use.
inline constexpr int default_protocol = 4;
inline constexpr int lowest_write_protocol = 2;

struct WriteOptions {
    /// 2 to 5.
    int protocol = default_protocol;
    /// Values nested deeper than this are refused (Python's own pickler stops near its recursion limit of 1000).
    std::size_t max_depth = 1000;
};

/// Returns the pickle of `value`. It uses the memo only inside spliced opaque objects (a Value has no shared parts).
/// An Opaque value (format "pickle") is spliced in as the opcodes of its document. A document from a protocol 0-2
/// pickle makes the output declare protocol 2, because Python maps Python 2 module names (`__builtin__`) only in
/// streams of protocol < 3; the opcodes of any protocol are read by Python whatever the declared protocol.
/// ERRORS: SerializationError "pickle: <path>: problem" for what Python could not read back: a str that is not
/// UTF-8, an unhashable dict key or set item (a list, dict or set), nesting deeper than max_depth, an opaque value of
/// another format or with a malformed document, an int beyond pickle::max_long_bytes.
std::string write_pickle(const Value& value, const WriteOptions& options = {});

/// Appends pickle instructions to a buffer: the one place that knows how each kind of Value is pickled and how
/// memo slots are numbered. write_pickle() uses it, and so does the reader to rebuild a self-contained document for
/// an object it cannot decode.
///
/// OWNERSHIP: owns its buffer. THREAD: one thread. ERRORS: as write_pickle().
class Emitter {
public:
    Emitter(int protocol, std::size_t max_depth);

    /// Appends the instructions that push `value` (at `path`, `depth` levels down in the whole value).
    void value(const Value& value, const ValuePath& path, std::size_t depth);
    /// Appends GLOBAL module name: pushes a reference to a module attribute.
    void global(std::string_view module, std::string_view name);
    /// Stores the object on top of the stack in a new memo slot and returns the slot.
    std::uint32_t memo_put();
    /// Pushes the object stored in `slot`.
    void memo_get(std::uint32_t slot);

    /// Called by splice() for a memo get of an object defined before the spliced range: it must append instructions
    /// that push that object (`index` is the memo index in the source, `offset` where the get is).
    using ExternalGet = std::function<void(std::uint64_t index, std::size_t offset)>;
    /// Copies the instructions in [begin, end) of the pickle `source`, except PROTO, FRAME and STOP (this emitter
    /// writes its own). Memo slots defined there get fresh slots of this emitter and gets are rewritten to match.
    /// `memo_base` is the number of memo entries the source's unpickler held at `begin`, so that MEMOIZE (which
    /// stores at index len(memo)) maps right; this needs a source that never stores twice into one memo index, as
    /// Python's pickler never does. A get of an index not defined inside the range calls `external` (which may be
    /// empty: then such a get is an error); the object it pushes is memoized so that later gets reuse it.
    void splice(std::string_view source, std::size_t begin, std::size_t end, std::uint64_t memo_base,
                const ExternalGet& external);

    /// The complete pickle: PROTO, the instructions (in frames from protocol 4 on), STOP. Leaves the emitter empty.
    std::string finish();

private:
    void instruction(std::uint8_t code, std::string_view argument = {});
    void sized(std::uint8_t code, std::size_t length_size, std::string_view payload);
    void integer(const Value& integer);
    void text(const std::string& text, const ValuePath& path);
    void bytes(const std::string& data);
    void items_in_batches(const std::vector<Value>& items, std::uint8_t single, std::uint8_t batch,
                          const ValuePath& path, std::size_t depth);
    void dict(const Dict& dict, const ValuePath& path, std::size_t depth);
    void set(const Set& set, const ValuePath& path, std::size_t depth);
    void opaque(const Opaque& opaque, const ValuePath& path);
    void end_frame_if_full();

    int protocol_;
    // The protocol that finish() declares: lowered to 2 by a spliced document of protocol < 3 (see write_pickle).
    int declared_protocol_;
    std::size_t max_depth_;
    std::string body_;
    // Where the open frame's FRAME opcode sits in body_ (npos when no frame is open).
    std::size_t frame_start_ = std::string::npos;
    std::uint32_t next_slot_ = 0;
};

}  // namespace hpcexec::pickle
