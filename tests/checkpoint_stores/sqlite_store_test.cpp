// What only the `sqlite` store has: its database file, WAL mode, checksums in a column, SQLite's lock.
#include "child_process.hpp"
#include "store_fixture.hpp"

#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/Data/Session.h>

#include <chrono>

namespace checkpoint_test {
namespace {

using namespace Poco::Data::Keywords;

class SqliteStore : public ::testing::Test {
protected:
    std::shared_ptr<hpcexec::CheckpointStore> open_store(const std::string& busy_timeout = "5s") {
        return loader.create("sqlite",
                             boost::json::object{{"path", database.string()}, {"busy_timeout", busy_timeout}});
    }

    /// A connection of the test's own to the store's database, to look at it or damage it behind the store's back.
    Poco::Data::Session connect() {
        return Poco::Data::Session(new Poco::Data::SQLite::SessionImpl(database.string(), 0));
    }

    ScratchDirectory scratch;
    fs::path database = scratch.path() / "sub" / "dir" / "checkpoints.db";
    StoreLoader loader;
    std::shared_ptr<hpcexec::CheckpointStore> store = open_store();
};

TEST_F(SqliteStore, CreatesItsDirectoryAndUsesWalMode) {
    store->put("k", "v");
    EXPECT_TRUE(fs::is_regular_file(database));
    auto session = connect();
    std::string mode;
    session << "PRAGMA journal_mode", into(mode), now;
    EXPECT_EQ(mode, "wal");
}

TEST_F(SqliteStore, ARecordWhoseBytesChangedIsReportedAsCorrupt) {
    store->put("jobs/a", "the job id is 12345");
    auto session = connect();
    // One byte of the data changed, the stored checksum left as it was: what a damaged disk page looks like.
    session << "UPDATE records SET data = CAST('the job id is 12346' AS BLOB) WHERE key = 'jobs/a'", now;
    const auto message = checkpoint_error_of([&] { store->get("jobs/a"); });
    EXPECT_CONTAINS(message, "checkpoint store sqlite:" + database.string() + ": key 'jobs/a': ");
    EXPECT_CONTAINS(message, "corrupt record (checksum mismatch)");
    // Not treated as missing: creating the key fails, and listing still shows it.
    EXPECT_FALSE(store->compare_and_set("jobs/a", std::nullopt, "again"));
    EXPECT_EQ(store->list("jobs/"), std::vector<std::string>{"jobs/a"});
    // A new write replaces it.
    store->put("jobs/a", "repaired");
    EXPECT_EQ(store->get("jobs/a")->data, "repaired");
    // A version this store never writes.
    session << "UPDATE records SET version = 0 WHERE key = 'jobs/a'", now;
    EXPECT_CONTAINS(checkpoint_error_of([&] { store->get("jobs/a"); }), "corrupt record (invalid version 0)");
}

TEST_F(SqliteStore, AFileThatIsNotADatabaseIsReported) {
    fs::create_directories(database.parent_path());
    write_whole_file(database, std::string(4096, 'x'));
    const auto message = checkpoint_error_of([&] { store->get("k"); });
    EXPECT_CONTAINS(message, "checkpoint store sqlite:" + database.string() + ": key 'k': ");
    EXPECT_CONTAINS(message, "the database file " + database.string() +
                                 " is corrupt or not an SQLite database (file is not a database)");
    EXPECT_CONTAINS(checkpoint_error_of([&] { store->list(""); }), "file is not a database");
}

TEST_F(SqliteStore, ADatabaseLockedByAnotherProcessFailsAfterTheBusyTimeout) {
    store = open_store("300ms");
    store->put("k", "before");
    ChildProcess holder({CHECKPOINT_STORE_HELPER, "hold-sqlite-lock", database.string()});
    ASSERT_EQ(holder.read_line(), "locked");
    const auto started = std::chrono::steady_clock::now();
    const auto message = checkpoint_error_of([&] { store->put("k", "while locked"); });
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_CONTAINS(message, "checkpoint store sqlite:" + database.string() + ": key 'k': the database " +
                                 database.string() + " is locked by another process: waited 300 ms (busy_timeout)");
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(3));
    checkpoint_error_of([&] { store->compare_and_set("k", 1, "while locked"); });
    // WAL: readers do not wait for a writer.
    EXPECT_EQ(store->get("k")->data, "before");
    holder.close_stdin();
    EXPECT_EQ(holder.wait(), 0);
    store->put("k", "after");
    EXPECT_EQ(store->get("k")->data, "after");
    EXPECT_EQ(store->get("k")->version, 2u);
}

// Tests run as root, which ignores permission bits (chmod 0500 would not stop it). Two paths fail for every user:
// a database whose directory runs through a regular file, and a database in /sys, where nobody can create files.
TEST_F(SqliteStore, ADirectoryThroughARegularFileIsReported) {
    write_whole_file(scratch.path() / "plain-file", "not a directory");
    const fs::path bad = scratch.path() / "plain-file" / "sub" / "checkpoints.db";
    auto unusable = loader.create("sqlite", boost::json::object{{"path", bad.string()}});
    const auto message = checkpoint_error_of([&] { unusable->put("k", "v"); });
    EXPECT_CONTAINS(message, "checkpoint store sqlite:" + bad.string() + ": key 'k': cannot create the directory " +
                                 bad.parent_path().string() + ": ");
    EXPECT_CONTAINS(message, "Not a directory");
}

TEST_F(SqliteStore, AnUnwritableDirectoryIsReported) {
    if (!fs::is_directory("/sys")) GTEST_SKIP() << "/sys is not mounted";
    auto unwritable = loader.create("sqlite", boost::json::object{{"path", "/sys/hpcexec-checkpoints.db"}});
    const auto message = checkpoint_error_of([&] { unwritable->put("k", "v"); });
    EXPECT_CONTAINS(message, "checkpoint store sqlite:/sys/hpcexec-checkpoints.db: key 'k': cannot open or create "
                             "/sys/hpcexec-checkpoints.db: Permission denied");
}

}  // namespace
}  // namespace checkpoint_test
