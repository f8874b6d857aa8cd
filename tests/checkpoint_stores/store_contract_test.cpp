// The CheckpointStore contract, run against every store: what a caller may rely on whichever store is configured.
#include "store_fixture.hpp"

#include <thread>
#include <vector>

namespace checkpoint_test {
namespace {

using hpcexec::CheckpointStore;

class StoreContract : public ::testing::TestWithParam<std::string> {
protected:
    std::shared_ptr<CheckpointStore> open_store() {
        return loader.create(GetParam(),
                             boost::json::object{{"path", store_path(GetParam(), scratch.path()).string()}});
    }

    ScratchDirectory scratch;
    StoreLoader loader;
    std::shared_ptr<CheckpointStore> store = open_store();
};

TEST_P(StoreContract, DescribeNamesTheKindAndTheAbsolutePath) {
    EXPECT_EQ(store->describe(), GetParam() + ":" + store_path(GetParam(), scratch.path()).string());
}

TEST_P(StoreContract, MissingKeyHasNoRecord) {
    EXPECT_EQ(store->get("nothing/here"), std::nullopt);
    EXPECT_FALSE(store->erase("nothing/here"));
}

TEST_P(StoreContract, RoundTripsBinaryDataExactly) {
    const std::string with_zeros("a\0b\0\0c", 6);
    const std::string every_byte = binary_data(70'000);
    store->put("zeros", with_zeros);
    store->put("bytes", every_byte);
    store->put("empty", "");
    EXPECT_EQ(store->get("zeros")->data, with_zeros);
    EXPECT_EQ(store->get("bytes")->data, every_byte);
    ASSERT_TRUE(store->get("empty").has_value());
    EXPECT_EQ(store->get("empty")->data, "");
}

TEST_P(StoreContract, RecordsOutliveTheStoreObject) {
    store->put("jobs/1", "42");
    store.reset();
    auto reopened = open_store();
    ASSERT_TRUE(reopened->get("jobs/1").has_value());
    EXPECT_EQ(reopened->get("jobs/1")->data, "42");
    EXPECT_EQ(reopened->get("jobs/1")->version, 1u);
}

TEST_P(StoreContract, VersionsIncreaseOnEveryWrite) {
    store->put("k", "one");
    EXPECT_EQ(store->get("k")->version, 1u);
    store->put("k", "two");
    EXPECT_EQ(store->get("k")->version, 2u);
    ASSERT_TRUE(store->compare_and_set("k", 2, "three"));
    const auto record = store->get("k");
    EXPECT_EQ(record->version, 3u);
    EXPECT_EQ(record->data, "three");
}

TEST_P(StoreContract, CompareAndSetWithNothingExpectedCreatesOnlyAMissingKey) {
    EXPECT_TRUE(store->compare_and_set("submit/a", std::nullopt, "token-1"));
    EXPECT_FALSE(store->compare_and_set("submit/a", std::nullopt, "token-2"));
    EXPECT_EQ(store->get("submit/a")->data, "token-1");
    EXPECT_EQ(store->get("submit/a")->version, 1u);
}

TEST_P(StoreContract, CompareAndSetWithAStaleVersionChangesNothing) {
    store->put("k", "first");
    ASSERT_TRUE(store->compare_and_set("k", 1, "second"));
    EXPECT_FALSE(store->compare_and_set("k", 1, "stale writer"));
    EXPECT_FALSE(store->compare_and_set("k", 7, "future version"));
    EXPECT_FALSE(store->compare_and_set("missing", 1, "no such record"));
    EXPECT_EQ(store->get("missing"), std::nullopt);
    const auto record = store->get("k");
    EXPECT_EQ(record->data, "second");
    EXPECT_EQ(record->version, 2u);
}

TEST_P(StoreContract, ListReturnsTheKeysWithThePrefixSorted) {
    for (const char* key : {"b", "a/b/c", "a/b/a", "a/x", "ab", "a/b/c2", "c/d"}) store->put(key, "v");
    EXPECT_EQ(store->list(""), (std::vector<std::string>{"a/b/a", "a/b/c", "a/b/c2", "a/x", "ab", "b", "c/d"}));
    EXPECT_EQ(store->list("a/"), (std::vector<std::string>{"a/b/a", "a/b/c", "a/b/c2", "a/x"}));
    EXPECT_EQ(store->list("a"), (std::vector<std::string>{"a/b/a", "a/b/c", "a/b/c2", "a/x", "ab"}));
    EXPECT_EQ(store->list("a/b/c"), (std::vector<std::string>{"a/b/c", "a/b/c2"}));
    EXPECT_TRUE(store->list("zzz").empty());
}

TEST_P(StoreContract, EraseRemovesTheRecordAndSaysWhetherThereWasOne) {
    store->put("a/b/c", "v");
    store->put("a/d", "v");
    EXPECT_TRUE(store->erase("a/b/c"));
    EXPECT_EQ(store->get("a/b/c"), std::nullopt);
    EXPECT_FALSE(store->erase("a/b/c"));
    EXPECT_EQ(store->list("a/"), std::vector<std::string>{"a/d"});
    // A key that was erased can be created again.
    EXPECT_TRUE(store->compare_and_set("a/b/c", std::nullopt, "again"));
    EXPECT_EQ(store->get("a/b/c")->data, "again");
}

TEST_P(StoreContract, InvalidKeysAreRefusedWithTheReason) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "must not be empty"},
        {"/etc/passwd", "must be relative"},
        {"a//b", "empty segments"},
        {"a/", "empty segments"},
        {"../outside", "'.' or '..' segments"},
        {"a/./b", "'.' or '..' segments"},
        {"a/.hidden", "must not start with '.'"},
        {std::string("a\0b", 3), "NUL"},
    };
    for (const auto& [key, reason] : cases) {
        const auto message = checkpoint_error_of([&] { store->put(key, "v"); });
        EXPECT_CONTAINS(message, "checkpoint store " + store->describe());
        EXPECT_CONTAINS(message, "invalid key: ");
        EXPECT_CONTAINS(message, reason);
        checkpoint_error_of([&] { store->get(key); });
        checkpoint_error_of([&] { store->compare_and_set(key, std::nullopt, "v"); });
        checkpoint_error_of([&] { store->erase(key); });
    }
    // Control characters are shown escaped, so that the message stays on one line.
    EXPECT_CONTAINS(checkpoint_error_of([&] { store->put(std::string("a\0b", 3), "v"); }), "key 'a\\x00b'");
    EXPECT_TRUE(store->list("").empty());
}

TEST_P(StoreContract, ThreadsIncrementingThroughCompareAndSetLoseNoUpdate) {
    constexpr int threads = 4;
    constexpr int increments = 25;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int i = 0; i < increments; ++i) {
                while (true) {
                    const auto current = store->get("counter");
                    const int value = current ? std::stoi(current->data) : 0;
                    const auto expected = current ? std::optional(current->version) : std::nullopt;
                    if (store->compare_and_set("counter", expected, std::to_string(value + 1))) break;
                }
            }
        });
    }
    for (auto& worker : workers) worker.join();
    EXPECT_EQ(store->get("counter")->data, std::to_string(threads * increments));
    EXPECT_EQ(store->get("counter")->version, static_cast<std::uint64_t>(threads * increments));
}

TEST_P(StoreContract, ConfigurationNeedsAPathAndRefusesUnknownKeys) {
    try {
        loader.create(GetParam(), boost::json::object{});
        FAIL() << "expected ConfigError";
    } catch (const hpcexec::ConfigError& e) {
        EXPECT_EQ(e.key_path(), "checkpoint." + GetParam() + ".path");
        EXPECT_CONTAINS(e.what(), "required");
    }
    try {
        loader.create(GetParam(), boost::json::object{{"path", scratch.path().string()}, {"busy_timout", 1}});
        FAIL() << "expected ConfigError";
    } catch (const hpcexec::ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "checkpoint." + GetParam() + ".busy_timout: unknown key (did you mean busy_timeout?)");
    }
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreContract, every_store, store_test_name);

}  // namespace
}  // namespace checkpoint_test
