// SqliteCheckpointStore: the `sqlite` checkpoint store, every record a row of one SQLite database file, through
// Poco::Data.
//
// Schema: records(key TEXT PRIMARY KEY, data BLOB NOT NULL, version INTEGER NOT NULL, checksum INTEGER NOT NULL),
// checksum being checkpoint_common's record_checksum of the data, verified on every read.
//
// Several processes may share one file: the database is in WAL mode (readers never wait for the writer), every
// write runs in BEGIN IMMEDIATE, which takes the database's write lock first, waiting up to busy_timeout, and
// compare_and_set is one conditional statement inside it, so it is atomic across processes. WAL needs a local file
// system (its shared-memory index does not work over NFS); use the `dir` store on network file systems.
// synchronous=FULL: a write is on disk when it returns, as CheckpointStore::put promises.
//
// The database is opened on first use, not at creation, so that every failure (an unwritable directory, a file that
// is not a database, a lock) reaches the caller as a CheckpointError naming the store and the key. After a failure
// the connection is closed (which also rolls back an unfinished transaction) and the next operation opens a new one.
//
// THREAD: any thread; one mutex serialises this object's operations (a Poco::Data session is not thread-safe).
// ERRORS: CheckpointError from checkpoint_common.hpp's key_error / list_error; the store is named "sqlite:<file>".
#pragma once

#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/errors.hpp>

#include <Poco/Data/Session.h>
#include <spdlog/logger.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

namespace hpcexec::checkpoint {

class SqliteCheckpointStore final : public CheckpointStore {
public:
    /// `file` is made absolute now, so that a later change of the working directory does not move the store.
    SqliteCheckpointStore(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout,
                          std::shared_ptr<spdlog::logger> logger);

    std::string describe() const override;
    std::optional<CheckpointRecord> get(const std::string& key) override;
    void put(const std::string& key, const std::string& data) override;
    bool compare_and_set(const std::string& key, std::optional<std::uint64_t> expected_version,
                         const std::string& data) override;
    std::vector<std::string> list(const std::string& prefix) override;
    bool erase(const std::string& key) override;

private:
    /// Runs `operation` on the open session (opening it first if needed), holding the mutex; closes the session
    /// when the operation throws.
    template <class Operation>
    auto with_session(Operation&& operation);
    /// Creates the directory and the file, connects, sets the connection up and creates the table if missing.
    Poco::Data::Session open() const;
    /// `reason` as a CheckpointError about `key`.
    CheckpointError failure(const std::string& key, const std::exception& reason) const;

    const std::filesystem::path file_;
    const std::chrono::milliseconds busy_timeout_;
    std::shared_ptr<spdlog::logger> logger_;
    std::mutex mutex_;
    std::optional<Poco::Data::Session> session_;
};

}  // namespace hpcexec::checkpoint
