// Encoding and verification of the `dir` store's record files; the layout is described in record_file.hpp.
#include "record_file.hpp"

#include "checkpoint_common.hpp"

namespace hpcexec::checkpoint {
namespace {

constexpr std::string_view magic = "HXCK";
constexpr std::uint32_t format_version = 1;
constexpr std::size_t header_size = 28;
// The part of the header that the checksum covers: format version, record version, length.
constexpr std::size_t checked_begin = 4;
constexpr std::size_t checked_end = 24;

void put_le(std::string& out, std::uint64_t value, std::size_t bytes) {
    for (std::size_t i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

std::uint64_t get_le(std::string_view in, std::size_t offset, std::size_t bytes) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i)
        value |= std::uint64_t{static_cast<unsigned char>(in[offset + i])} << (8 * i);
    return value;
}

}  // namespace

std::string encode_record_file(std::uint64_t version, std::string_view data) {
    std::string out;
    out.reserve(header_size + data.size());
    out += magic;
    put_le(out, format_version, 4);
    put_le(out, version, 8);
    put_le(out, data.size(), 8);
    put_le(out, record_checksum({std::string_view(out).substr(checked_begin, checked_end - checked_begin), data}), 4);
    out += data;
    return out;
}

CheckpointRecord decode_record_file(std::string_view bytes) {
    if (bytes.substr(0, magic.size()) != magic) throw MalformedRecord("bad magic: not a checkpoint record file");
    if (bytes.size() < header_size) {
        throw MalformedRecord("truncated header: " + std::to_string(bytes.size()) + " bytes, the header alone has " +
                              std::to_string(header_size));
    }
    if (auto format = get_le(bytes, 4, 4); format != format_version)
        throw MalformedRecord("unsupported record format version " + std::to_string(format));
    const std::uint64_t length = get_le(bytes, 16, 8);
    const std::string_view data = bytes.substr(header_size);
    if (length != data.size()) {
        throw MalformedRecord("length mismatch: the header says " + std::to_string(length) +
                              " bytes of data, the file has " + std::to_string(data.size()));
    }
    const auto stored = static_cast<std::uint32_t>(get_le(bytes, 24, 4));
    if (stored != record_checksum({bytes.substr(checked_begin, checked_end - checked_begin), data}))
        throw MalformedRecord("checksum mismatch");
    return CheckpointRecord{std::string(data), get_le(bytes, 8, 8)};
}

}  // namespace hpcexec::checkpoint
