// Configuration, key rules, error wording and the record checksum shared by the checkpoint stores.
#include "checkpoint_common.hpp"

#include <hpcexec/config_reader.hpp>

#include <boost/crc.hpp>

#include <cstdio>

namespace hpcexec::checkpoint {
namespace {

// A key as it appears in a message: in quotes, with control characters escaped, so that a key holding a newline or a
// NUL cannot break the message apart or hide part of it.
std::string quoted(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte == 0x7f) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "'";
}

// Why `key` is not a valid key, or "" when it is.
std::string key_problem(std::string_view key) {
    if (key.empty()) return "a key must not be empty";
    if (key.find('\0') != std::string_view::npos) return "a key must not contain a NUL character";
    if (key.front() == '/') return "a key must be relative (must not start with '/')";
    std::size_t begin = 0;
    while (true) {
        const std::size_t end = key.find('/', begin);
        const std::string_view segment = key.substr(begin, end == std::string_view::npos ? key.npos : end - begin);
        if (segment.empty()) return "a key must not contain empty segments ('//' or a trailing '/')";
        if (segment == "." || segment == "..") return "a key must not contain '.' or '..' segments";
        if (segment.front() == '.') return "a key segment must not start with '.' (reserved for the store's own files)";
        if (end == std::string_view::npos) return "";
        begin = end + 1;
    }
}

}  // namespace

StoreSettings read_store_settings(const boost::json::value& config, const std::string& config_path,
                                  const std::string& path_meaning) {
    ConfigReader reader(config, config_path);
    StoreSettings settings;
    settings.path = reader.string("path", "");
    if (settings.path.empty()) throw ConfigError(reader.path_of("path"), "required (" + path_meaning + ")");
    settings.busy_timeout = reader.duration("busy_timeout").value_or(settings.busy_timeout);
    reader.finish();
    return settings;
}

void validate_key(const std::string& store, const std::string& key) {
    if (auto problem = key_problem(key); !problem.empty()) throw key_error(store, key, "invalid key: " + problem);
}

CheckpointError key_error(const std::string& store, const std::string& key, const std::string& reason) {
    return CheckpointError("checkpoint store " + store + ": key " + quoted(key) + ": " + reason);
}

CheckpointError list_error(const std::string& store, const std::string& prefix, const std::string& reason) {
    return CheckpointError("checkpoint store " + store + ": listing keys starting with " + quoted(prefix) + ": " +
                           reason);
}

std::string corrupt_record_reason(std::string_view detail) { return "corrupt record (" + std::string(detail) + ")"; }

std::uint32_t record_checksum(std::initializer_list<std::string_view> parts) {
    boost::crc_32_type crc;
    for (auto part : parts) crc.process_bytes(part.data(), part.size());
    return crc.checksum();
}

}  // namespace hpcexec::checkpoint
