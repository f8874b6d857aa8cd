// The bytes of one record file of the `dir` checkpoint store: a fixed header, then the record's data.
//
//   offset  size  field
//        0     4  magic "HXCK" (refuses files that are not records at all)
//        4     4  format version, 1 (lets a later format be told apart instead of misread)
//        8     8  the record's version (compare_and_set), unsigned
//       16     8  the data's length in bytes (detects a truncated file)
//       24     4  CRC-32 of bytes 4..23 followed by the data (detects changed bytes, in the header or the data)
//       28     -  the data
//
// Integers are little-endian whatever the machine, so that a store directory can be read on any host.
#pragma once

#include <hpcexec/checkpoint_store.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hpcexec::checkpoint {

/// The bytes of a file are not a valid record; what() is the detail ("checksum mismatch", "bad magic ...").
class MalformedRecord : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The file contents for `data` at `version`.
std::string encode_record_file(std::uint64_t version, std::string_view data);

/// The record held by `bytes`; throws MalformedRecord when they are not exactly one valid record.
CheckpointRecord decode_record_file(std::string_view bytes);

}  // namespace hpcexec::checkpoint
