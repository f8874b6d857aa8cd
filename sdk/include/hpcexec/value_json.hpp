// Conversion between Value and JSON (boost::json::value).
//
// JSON holds less than Value. The mapping, both ways unless said otherwise:
//
//     None        <-> null                 list   <-> array
//     bool        <-> true / false         tuple   -> array (read back as a list, as Python's json module does)
//     int         <-> number (integer)     dict   <-> object, when every key is a str (insertion order is kept)
//     float       <-> number (with a fraction or exponent; 1.0 stays a float)
//     str         <-> string
//
// to_json() refuses, naming the path of the offending part ("value[2].key: bytes cannot be represented in JSON"):
// bytes, sets and frozensets, opaque objects, dict keys that are not str, NaN and infinities, ints beyond the range
// of 64-bit integers (JSON numbers are read as 64-bit integers or doubles here), str that is not valid UTF-8, and
// nesting deeper than `max_depth`.
// from_json() reads an integer above INT64_MAX (boost::json's uint64) as a BigInt, every other number as it is.
//
// THREAD: pure functions. ERRORS: SerializationError as described.
#pragma once

#include <hpcexec/export.hpp>
#include <hpcexec/value.hpp>

#include <boost/json/value.hpp>

#include <cstddef>

namespace hpcexec {

/// The default nesting limit of both conversions (Python's own default recursion limit is 1000).
inline constexpr std::size_t default_json_max_depth = 1000;

/// Converts a Value to JSON; throws SerializationError naming the path of what JSON cannot hold.
HPCEXEC_API boost::json::value to_json(const Value& value, std::size_t max_depth = default_json_max_depth);

/// Converts JSON to a Value; throws SerializationError when nested deeper than `max_depth`.
HPCEXEC_API Value from_json(const boost::json::value& json, std::size_t max_depth = default_json_max_depth);

}  // namespace hpcexec
