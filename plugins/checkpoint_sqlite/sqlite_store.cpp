// The `sqlite` checkpoint store: SQL through Poco::Data, key rules, checksum and error wording from
// checkpoint_common, failure classification from sqlite_failure.
#include "sqlite_store.hpp"

#include "checkpoint_common.hpp"
#include "sqlite_failure.hpp"

#include <Poco/Data/LOB.h>
#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/Data/Statement.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <system_error>
#include <type_traits>

#include <fcntl.h>
#include <unistd.h>

namespace hpcexec::checkpoint {
namespace {

namespace fs = std::filesystem;
using namespace Poco::Data::Keywords;
using Poco::Data::Session;
using Poco::Data::Statement;

// The statements. Every one that writes data says coalesce(?, X'') for it: binding an empty Poco BLOB binds SQL NULL
// (its buffer pointer is null), which NOT NULL refuses; coalesce turns it back into the empty BLOB it stands for.
constexpr const char* create_table_sql =
    "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL, "
    "version INTEGER NOT NULL, checksum INTEGER NOT NULL)";
constexpr const char* select_sql = "SELECT data, version, checksum FROM records WHERE key = ?";
constexpr const char* upsert_sql =
    "INSERT INTO records (key, data, version, checksum) VALUES (?, coalesce(?, X''), 1, ?) "
    "ON CONFLICT (key) DO UPDATE SET data = excluded.data, version = version + 1, checksum = excluded.checksum";
constexpr const char* insert_if_missing_sql =
    "INSERT INTO records (key, data, version, checksum) VALUES (?, coalesce(?, X''), 1, ?) "
    "ON CONFLICT (key) DO NOTHING";
constexpr const char* update_if_version_sql =
    "UPDATE records SET data = coalesce(?, X''), version = version + 1, checksum = ? WHERE key = ? AND version = ?";
constexpr const char* delete_sql = "DELETE FROM records WHERE key = ?";
// Keys are UTF-8, which never contains the byte 0xff, and SQLite compares text bytewise: the keys starting with a
// prefix are exactly those in [prefix, prefix + "\xff"). A range lets SQLite use the primary key's index.
constexpr const char* list_sql = "SELECT key FROM records WHERE key >= ? AND key < ? ORDER BY key";

Poco::Data::BLOB to_blob(const std::string& data) {
    return Poco::Data::BLOB(reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

std::string from_blob(const Poco::Data::BLOB& blob) {
    return std::string(blob.content().begin(), blob.content().end());
}

Poco::Int64 checksum_of(const std::string& data) { return Poco::Int64{record_checksum({data})}; }

// Runs `write` inside BEGIN IMMEDIATE ... COMMIT. IMMEDIATE takes the database's write lock before anything is read
// (waiting up to busy_timeout), so a write never starts from a state that another process changes before it
// commits. On an exception there is no ROLLBACK here: with_session closes the connection, and closing rolls back.
template <class Write>
auto in_write_transaction(Session& session, Write&& write) {
    session << "BEGIN IMMEDIATE", now;
    if constexpr (std::is_void_v<decltype(write())>) {
        write();
        session << "COMMIT", now;
    } else {
        auto result = write();
        session << "COMMIT", now;
        return result;
    }
}

}  // namespace

SqliteCheckpointStore::SqliteCheckpointStore(const fs::path& file, std::chrono::milliseconds busy_timeout,
                                             std::shared_ptr<spdlog::logger> logger)
    : file_(fs::absolute(file).lexically_normal()), busy_timeout_(busy_timeout), logger_(std::move(logger)) {}

std::string SqliteCheckpointStore::describe() const { return "sqlite:" + file_.string(); }

Session SqliteCheckpointStore::open() const {
    // Created here rather than by SQLite, whose "unable to open database file" would not say what is wrong.
    std::error_code error;
    fs::create_directories(file_.parent_path(), error);
    if (error) throw std::system_error(error, "cannot create the directory " + file_.parent_path().string());
    const int fd = ::open(file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open or create " + file_.string());
    ::close(fd);

    // A login timeout of 0: Poco would otherwise retry a failed open for 60 s. It also sets SQLite's busy timeout
    // in whole seconds; the PRAGMA below sets it to the configured milliseconds.
    Session session(new Poco::Data::SQLite::SessionImpl(file_.string(), 0));
    session << "PRAGMA busy_timeout = " + std::to_string(busy_timeout_.count()), now;
    std::string journal_mode;
    session << "PRAGMA journal_mode = WAL", into(journal_mode), now;
    if (journal_mode != "wal") {
        logger_->warn("{}: SQLite kept journal mode '{}' instead of WAL; readers will wait for writers", describe(),
                      journal_mode);
    }
    session << "PRAGMA synchronous = FULL", now;
    session << create_table_sql, now;
    return session;
}

template <class Operation>
auto SqliteCheckpointStore::with_session(Operation&& operation) {
    std::lock_guard guard(mutex_);
    try {
        if (!session_) session_.emplace(open());
        return operation(*session_);
    } catch (...) {
        session_.reset();
        throw;
    }
}

CheckpointError SqliteCheckpointStore::failure(const std::string& key, const std::exception& reason) const {
    return key_error(describe(), key, sqlite_failure_reason(reason, file_, busy_timeout_));
}

std::optional<CheckpointRecord> SqliteCheckpointStore::get(const std::string& key) {
    validate_key(describe(), key);
    Poco::Data::BLOB data;
    Poco::Int64 version = 0;
    Poco::Int64 checksum = 0;
    std::size_t rows = 0;
    try {
        rows = with_session([&](Session& session) {
            Statement select(session);
            select << select_sql, useRef(key), into(data), into(version), into(checksum);
            return select.execute();
        });
    } catch (const std::exception& e) {
        throw failure(key, e);
    }
    if (rows == 0) return std::nullopt;
    CheckpointRecord record{from_blob(data), static_cast<std::uint64_t>(version)};
    // The checksum covers the data; the version is only checked for being one this store can have written.
    std::string problem = checksum != checksum_of(record.data) ? "checksum mismatch"
                          : version < 1                        ? "invalid version " + std::to_string(version)
                                                               : "";
    if (!problem.empty()) {
        throw key_error(describe(), key, corrupt_record_reason(problem) + " in " + file_.string());
    }
    return record;
}

void SqliteCheckpointStore::put(const std::string& key, const std::string& data) {
    validate_key(describe(), key);
    auto blob = to_blob(data);
    auto checksum = checksum_of(data);
    try {
        with_session([&](Session& session) {
            return in_write_transaction(session, [&] {
                session << upsert_sql, useRef(key), use(blob), use(checksum), now;
            });
        });
    } catch (const std::exception& e) {
        throw failure(key, e);
    }
}

bool SqliteCheckpointStore::compare_and_set(const std::string& key, std::optional<std::uint64_t> expected_version,
                                            const std::string& data) {
    validate_key(describe(), key);
    // Versions are SQLite integers (signed 64-bit): a larger expected version matches no record.
    if (expected_version && *expected_version > std::uint64_t{std::numeric_limits<Poco::Int64>::max()}) return false;
    auto blob = to_blob(data);
    auto checksum = checksum_of(data);
    auto expected = static_cast<Poco::Int64>(expected_version.value_or(0));
    try {
        return with_session([&](Session& session) {
            return in_write_transaction(session, [&] {
                // One conditional statement decides and writes; the changed-row count tells whether it matched.
                Statement write(session);
                if (expected_version) {
                    write << update_if_version_sql, use(blob), use(checksum), useRef(key), use(expected);
                } else {
                    write << insert_if_missing_sql, useRef(key), use(blob), use(checksum);
                }
                return write.execute() == 1;
            });
        });
    } catch (const std::exception& e) {
        throw failure(key, e);
    }
}

bool SqliteCheckpointStore::erase(const std::string& key) {
    validate_key(describe(), key);
    try {
        return with_session([&](Session& session) {
            return in_write_transaction(session, [&] {
                Statement remove(session);
                remove << delete_sql, useRef(key);
                return remove.execute() > 0;
            });
        });
    } catch (const std::exception& e) {
        throw failure(key, e);
    }
}

std::vector<std::string> SqliteCheckpointStore::list(const std::string& prefix) {
    const std::string end = prefix + '\xff';  // see list_sql
    std::vector<std::string> keys;
    try {
        with_session([&](Session& session) {
            session << list_sql, useRef(prefix), useRef(end), into(keys), now;
        });
    } catch (const std::exception& e) {
        throw list_error(describe(), prefix, sqlite_failure_reason(e, file_, busy_timeout_));
    }
    return keys;
}

}  // namespace hpcexec::checkpoint
