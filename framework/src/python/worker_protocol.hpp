// What hpcexec and its Python worker say to each other (framework/python/hpcexec_worker.py has the same
// description from the other side): frames, the hello, requests and responses, as Values.
#pragma once

#include <hpcexec/python.hpp>
#include <hpcexec/serializer.hpp>
#include <hpcexec/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec::python {

/// A frame is an 8-byte little-endian length followed by the payload.
inline constexpr std::size_t frame_header_size = 8;
/// Frames longer than this are refused as corrupt (a worker's response is also bounded by the serializer's limits).
inline constexpr std::uint64_t max_frame_size = std::uint64_t{4} << 30;

std::string frame(std::string_view payload);
/// The payload length a frame header announces (`header` holds frame_header_size bytes).
std::uint64_t frame_length(std::string_view header);

/// The oldest Python the worker supports.
inline constexpr int min_python_major = 3;
inline constexpr int min_python_minor = 8;

/// The request of one call.
Value make_request(const PythonFunction& function, List args, const Kwargs& kwargs, const std::string& cwd,
                   const std::vector<std::string>& sys_path);

/// Reads the worker's hello (sent once when it starts). Throws SerializationError when it is malformed.
PythonInfo read_hello(const Value& hello);

/// The result a response carries, or throws the PythonError it describes. `target` names where it ran.
PythonResult read_response(const Value& response, const PythonFunction& function, const std::string& target);

/// The pickle protocol that `serializer` writes (read from the PROTO opcode at the start of its output), or 0 when it
/// does not write pickles.
int written_pickle_protocol(const Serializer& serializer);

}  // namespace hpcexec::python
