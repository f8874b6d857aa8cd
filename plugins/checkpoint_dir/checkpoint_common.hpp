// The rules both checkpoint stores (`dir` and `sqlite`) share, kept in one place so that the stores accept the same
// keys, word their errors the same way and checksum records alike: a user can switch stores without surprises.
//
// Built as the static library hpcexec_checkpoint_common, linked into both plugins.
#pragma once

#include <hpcexec/errors.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace hpcexec::checkpoint {

/// The configuration both stores take:
///   path:         required; where the store lives (the `dir` store's directory, the `sqlite` store's file)
///   busy_timeout: how long an operation waits for another process's lock before failing (default 5 s)
struct StoreSettings {
    std::string path;
    std::chrono::milliseconds busy_timeout{5000};
};

/// Reads StoreSettings from a component's configuration section; throws ConfigError with the key path for a missing
/// `path`, a bad value or an unknown key. `path_meaning` completes "required (...)" in the error for a missing path.
StoreSettings read_store_settings(const boost::json::value& config, const std::string& config_path,
                                  const std::string& path_meaning);

/// Throws CheckpointError unless `key` is a valid key: non-empty text without NUL, made of `/`-separated
/// segments that are neither empty (no leading, trailing or doubled `/`) nor start with `.` (which excludes `.` and
/// `..` and reserves dot-names for a store's own files). The `dir` store turns a key into a relative path, so these
/// rules are what keeps every record inside its directory; the `sqlite` store applies them too so that the two
/// stores accept the same keys.
void validate_key(const std::string& store, const std::string& key);

/// The error for an operation on one key: "checkpoint store <store>: key '<key>': <reason>".
/// Control characters in the key are shown escaped (\n, \x00), so that the message stays one readable line.
CheckpointError key_error(const std::string& store, const std::string& key, const std::string& reason);

/// The error for listing keys: "checkpoint store <store>: listing keys starting with '<prefix>': <reason>".
CheckpointError list_error(const std::string& store, const std::string& prefix, const std::string& reason);

/// The reason a record whose bytes fail verification is refused: "corrupt record (<detail>)", e.g.
/// "corrupt record (checksum mismatch)". Both stores use it so that callers and tests can rely on the wording.
std::string corrupt_record_reason(std::string_view detail);

/// CRC-32 (the polynomial of zlib and PNG) of the concatenation of `parts`. Stored beside each record to detect
/// bytes changed on disk; not a defence against deliberate tampering.
std::uint32_t record_checksum(std::initializer_list<std::string_view> parts);

}  // namespace hpcexec::checkpoint
