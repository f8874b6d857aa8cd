// What only the `dir` store has: its file layout, its record file checks, its lock file, its directory.
#include "child_process.hpp"
#include "store_fixture.hpp"

#include <chrono>

namespace checkpoint_test {
namespace {

class DirStore : public ::testing::Test {
protected:
    std::shared_ptr<hpcexec::CheckpointStore> open_store(int busy_timeout_ms = 5000) {
        return loader.create("dir",
                             boost::json::object{{"path", root.string()}, {"busy_timeout", busy_timeout_ms / 1000.0}});
    }

    ScratchDirectory scratch;
    fs::path root = scratch.path() / "checkpoints";
    StoreLoader loader;
    std::shared_ptr<hpcexec::CheckpointStore> store = open_store();
};

TEST_F(DirStore, AKeyWithSlashesIsAFileInSubdirectoriesAndEraseRemovesThemWhenEmpty) {
    store->put("run/step1/result", "data");
    const fs::path file = root / "run" / "step1" / "result";
    ASSERT_TRUE(fs::is_regular_file(file));
    EXPECT_EQ(read_whole_file(file).substr(0, 4), "HXCK");
    store->put("run/other", "data");
    EXPECT_TRUE(store->erase("run/step1/result"));
    EXPECT_FALSE(fs::exists(root / "run" / "step1"));
    EXPECT_TRUE(fs::exists(root / "run" / "other"));
    EXPECT_TRUE(store->erase("run/other"));
    EXPECT_FALSE(fs::exists(root / "run"));
    EXPECT_TRUE(fs::is_directory(root));
}

TEST_F(DirStore, CorruptFilesAreReportedWithKeyFileAndReasonNeverAsMissing) {
    store->put("jobs/a", "the job id is 12345");
    const fs::path file = root / "jobs" / "a";
    const std::string good = read_whole_file(file);
    auto expect_corrupt = [&](const std::string& bytes, const std::string& reason) {
        write_whole_file(file, bytes);
        const auto message = checkpoint_error_of([&] { store->get("jobs/a"); });
        EXPECT_CONTAINS(message, "checkpoint store dir:" + root.string() + ": key 'jobs/a': ");
        EXPECT_CONTAINS(message, "corrupt record (" + reason);
        EXPECT_CONTAINS(message, " in " + file.string());
        // Neither a write that depends on the current version nor a creation treats it as missing.
        checkpoint_error_of([&] { store->compare_and_set("jobs/a", std::nullopt, "x"); });
        checkpoint_error_of([&] { store->compare_and_set("jobs/a", 1, "x"); });
        checkpoint_error_of([&] { store->put("jobs/a", "x"); });
    };
    std::string flipped = good;
    flipped.back() = static_cast<char>(flipped.back() ^ 0x01);
    expect_corrupt(flipped, "checksum mismatch");
    std::string version_changed = good;
    version_changed[8] = static_cast<char>(version_changed[8] + 1);  // the record's version: covered by the checksum
    expect_corrupt(version_changed, "checksum mismatch");
    expect_corrupt(good.substr(0, good.size() - 3),
                   "length mismatch: the header says 19 bytes of data, the file has 16");
    expect_corrupt("XXXX" + good.substr(4), "bad magic");
    expect_corrupt(good.substr(0, 10), "truncated header");
    // erase does not need to read the record: it is the way to get rid of a corrupt one.
    EXPECT_TRUE(store->erase("jobs/a"));
    EXPECT_EQ(store->get("jobs/a"), std::nullopt);
}

TEST_F(DirStore, AKeyCannotBeBothARecordAndTheParentOfOthers) {
    store->put("a", "v");
    EXPECT_CONTAINS(checkpoint_error_of([&] { store->put("a/b", "v"); }), "'a' is itself a record");
    EXPECT_EQ(store->get("a/b"), std::nullopt);
    store->put("x/y", "v");
    EXPECT_CONTAINS(checkpoint_error_of([&] { store->put("x", "v"); }), "keeps other keys below this one ('x/...')");
    EXPECT_EQ(store->get("x"), std::nullopt);
    EXPECT_FALSE(store->erase("x"));
    EXPECT_EQ(store->list(""), (std::vector<std::string>{"a", "x/y"}));
}

TEST_F(DirStore, HiddenFilesAreTheStoresOwnAndNotKeys) {
    store->put("k", "v");
    // What a process killed between writing its temporary file and renaming it leaves behind.
    write_whole_file(root / ".k.tmp-123-1", "partial");
    fs::create_directories(root / ".cache");
    write_whole_file(root / ".cache" / "x", "x");
    EXPECT_EQ(store->list(""), std::vector<std::string>{"k"});
    EXPECT_TRUE(fs::exists(root / ".lock"));
}

TEST_F(DirStore, ALockHeldByAnotherProcessFailsAfterTheBusyTimeout) {
    store = open_store(300);
    store->put("k", "before");
    ChildProcess holder({CHECKPOINT_STORE_HELPER, "hold-flock", (root / ".lock").string()});
    ASSERT_EQ(holder.read_line(), "locked");
    const auto started = std::chrono::steady_clock::now();
    const auto message = checkpoint_error_of([&] { store->put("k", "while locked"); });
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_CONTAINS(message, "checkpoint store dir:" + root.string() + ": key 'k': locked by another process");
    EXPECT_CONTAINS(message, (root / ".lock").string());
    EXPECT_GE(waited, std::chrono::milliseconds(250));
    EXPECT_LT(waited, std::chrono::seconds(3));
    holder.close_stdin();
    EXPECT_EQ(holder.wait(), 0);
    store->put("k", "after");
    EXPECT_EQ(store->get("k")->data, "after");
    EXPECT_EQ(store->get("k")->version, 2u);
}

// Tests run as root, which ignores permission bits (chmod 0500 would not stop it). Two paths fail for every user:
// a store whose path runs through a regular file, and a store in /sys, where nobody can create files.
TEST_F(DirStore, APathThroughARegularFileIsReported) {
    write_whole_file(scratch.path() / "plain-file", "not a directory");
    const fs::path bad = scratch.path() / "plain-file" / "checkpoints";
    auto unusable = loader.create("dir", boost::json::object{{"path", bad.string()}});
    const auto message = checkpoint_error_of([&] { unusable->put("k", "v"); });
    EXPECT_CONTAINS(message, "checkpoint store dir:" + bad.string() + ": key 'k': ");
    EXPECT_CONTAINS(message,
                    "cannot use " + (scratch.path() / "plain-file").string() + " as a directory: Not a directory");
}

TEST_F(DirStore, AnUnwritableDirectoryIsReported) {
    if (!fs::is_directory("/sys")) GTEST_SKIP() << "/sys is not mounted";
    auto unwritable = loader.create("dir", boost::json::object{{"path", "/sys"}});
    const auto message = checkpoint_error_of([&] { unwritable->put("k", "v"); });
    EXPECT_CONTAINS(message, "checkpoint store dir:/sys: key 'k': cannot open or create the lock file /sys/.lock: ");
    EXPECT_CONTAINS(message, "Permission denied");
    // A directory that cannot be created.
    auto uncreatable = loader.create("dir", boost::json::object{{"path", "/sys/hpcexec-checkpoints"}});
    EXPECT_CONTAINS(checkpoint_error_of([&] { uncreatable->get("k"); }),
                    "cannot create directory /sys/hpcexec-checkpoints: ");
}

}  // namespace
}  // namespace checkpoint_test
