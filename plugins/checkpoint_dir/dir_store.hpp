// DirCheckpointStore: the `dir` checkpoint store, one file per key under a directory.
//
// Layout: the record of key "a/b/c" is the file <root>/a/b/c (a key with `/` makes subdirectories, as the original
// does), in the format of record_file.hpp; <root>/.lock is the lock file (store_lock.hpp); hidden files are the
// store's own. A key cannot be both a record and the parent of other keys ("a" and "a/b"): such a write fails with a
// message saying so.
//
// Durability and atomicity: writes go through write_file_atomically (temporary file, fsync, rename, fsync of the
// directory). put, compare_and_set and erase hold the store lock exclusively across read, check and write, so
// versions never repeat and compare_and_set is atomic across processes; get and list hold it shared.
//
// THREAD: any thread; one mutex serialises this object's operations (see StoreLock for why).
// ERRORS: CheckpointError from checkpoint_common.hpp's key_error / list_error; the store is named "dir:<root>".
#pragma once

#include "store_lock.hpp"

#include <hpcexec/checkpoint_store.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>

namespace hpcexec::checkpoint {

class DirCheckpointStore final : public CheckpointStore {
public:
    /// `root` is made absolute now, so that a later change of the working directory does not move the store. Nothing
    /// is created until the first operation, which reports an unusable directory as a CheckpointError.
    /// `busy_timeout` bounds the wait for another process's lock.
    DirCheckpointStore(const std::filesystem::path& root, std::chrono::milliseconds busy_timeout);

    std::string describe() const override;
    std::optional<CheckpointRecord> get(const std::string& key) override;
    void put(const std::string& key, const std::string& data) override;
    bool compare_and_set(const std::string& key, std::optional<std::uint64_t> expected_version,
                         const std::string& data) override;
    std::vector<std::string> list(const std::string& prefix) override;
    bool erase(const std::string& key) override;

private:
    /// Runs `operation` with the store's directory in place and its lock held in `mode`.
    template <class Operation>
    auto locked(StoreLock::Mode mode, Operation&& operation);
    std::filesystem::path file_of(const std::string& key) const;
    /// The record in `key`'s file, or nothing; throws std::runtime_error with the reason for a corrupt file.
    std::optional<CheckpointRecord> read_record(const std::string& key) const;
    void write_record(const std::string& key, std::uint64_t version, const std::string& data) const;

    const std::filesystem::path root_;
    const std::chrono::milliseconds busy_timeout_;
    std::mutex mutex_;
    StoreLock lock_;
};

}  // namespace hpcexec::checkpoint
