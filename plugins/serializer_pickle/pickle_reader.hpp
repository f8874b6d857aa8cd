// Reading Python pickles (protocols 0 to 5, as CPython 3.8 and later writes them) into Values, executing nothing.
#pragma once

#include <hpcexec/value.hpp>

#include <cstddef>
#include <string_view>

namespace hpcexec::pickle {

struct ReadOptions {
    /// Values nested deeper than this are refused (Python's own pickler stops near its recursion limit of 1000).
    std::size_t max_depth = 1000;
    /// A bound on the memory that decoding may use, in bytes (approximate: the decoded values, the unpickler's stack
    /// and memo, opaque documents). A pickle can refer to one object many times through its memo, and every
    /// reference becomes a copy in a Value, so a small hostile input could otherwise ask for any amount of memory.
    std::size_t max_memory = std::size_t{1} << 30;
    /// When false, an object that cannot be decoded is an error naming its type instead of an Opaque value.
    bool allow_opaque = true;
};

/// Reads the pickle that `data` holds, which must end exactly at its STOP.
///
/// What is decoded: None, bool, int, float, str, bytes (and bytearray, as bytes), list, tuple, dict, set and
/// frozenset, in every form Python writes them (including protocol 2's `_codecs.encode(..., "latin1")` for bytes
/// and `set([...])` calls). Nothing is imported or called: any other object (a class instance, a reference to a
/// function or class) becomes an Opaque value whose `data` is a complete pickle of just that object, cut from the
/// input, with what it shares with the rest of the input (through the memo) copied into it.
///
/// ERRORS: SerializationError "pickle: offset N (OPCODE): problem" for malformed or truncated input, an unknown
/// memo index, persistent IDs, out-of-band buffers and extension codes (which need the writer's cooperation), a
/// value that contains itself (a reference cycle), nesting deeper than max_depth, memory beyond max_memory, and
/// (without allow_opaque) an object that cannot be decoded.
/// THREAD: a pure function; any number of calls may run at once.
Value read_pickle(std::string_view data, const ReadOptions& options = {});

/// Reads the pickle at the start of `data` (for a stream holding several pickles one after another) and sets
/// `size` to its length in bytes.
Value read_pickle_prefix(std::string_view data, std::size_t& size, const ReadOptions& options = {});

}  // namespace hpcexec::pickle
