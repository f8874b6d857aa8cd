// CheckpointStore: a durable key -> record store used for exactly-once submission and memoisation.
#pragma once

#include <hpcexec/component.hpp>
#include <hpcexec/export.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hpcexec {

/// A stored record and the version it has in the store.
struct CheckpointRecord {
    /// The record's bytes, exactly as stored.
    std::string data;
    /// Increases on every successful write of this key; used by compare_and_set.
    std::uint64_t version = 0;
};

/// A durable map from keys (UTF-8 text; `/` separates levels where the store has levels) to records.
///
/// THREAD: every method may be called from any thread at any time; a store serializes access itself, and several
/// processes may share one store where the implementation says so.
/// ERRORS: CheckpointError naming the store, the key and the reason (unreadable, corrupt, locked, not writable).
/// A record that cannot be read is reported, never treated as missing.
class HPCEXEC_API CheckpointStore : public Component {
public:
    ~CheckpointStore() override;

    /// A name for messages, e.g. "sqlite:/path/to/db".
    virtual std::string describe() const = 0;
    /// Returns the record under `key`, or nothing when there is none.
    virtual std::optional<CheckpointRecord> get(const std::string& key) = 0;
    /// Creates or replaces the record under `key`; durable when it returns.
    virtual void put(const std::string& key, const std::string& data) = 0;
    /// Writes `data` only if the record's current version is `expected_version` (nothing = the key must not exist).
    /// Returns true if written. Atomic with respect to every other writer, in this and in other processes.
    virtual bool compare_and_set(const std::string& key, std::optional<std::uint64_t> expected_version,
                                 const std::string& data) = 0;
    /// Returns the keys starting with `prefix`, sorted.
    virtual std::vector<std::string> list(const std::string& prefix) = 0;
    /// Removes the record under `key`; returns false when there was none.
    virtual bool erase(const std::string& key) = 0;
};

}  // namespace hpcexec
