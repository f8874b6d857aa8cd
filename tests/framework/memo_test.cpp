// Memoisation in the checkpoint store (HpcExecutor::checkpoint), with the real dir store and pickle serializer.
#include "common/expect_error.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

namespace fs = std::filesystem;

namespace {

class MemoTest : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
        root_ = fs::temp_directory_path() / ("hpcexec-memo-test-" + std::to_string(getpid()));
        fs::remove_all(root_);
        executor_ = hpcexec::HpcExecutor::from_config_text("work_dir: '" + (root_ / "work").string() +
                                                           "'\ncheckpoint: {dir: {path: '" + (root_ / "store").string() + "'}}\n");
    }
    void TearDown() override { fs::remove_all(root_); }
    fs::path root_;
    std::shared_ptr<hpcexec::HpcExecutor> executor_;
};

}  // namespace

TEST_F(MemoTest, SecondCallReturnsTheRecordedResultWithoutRunning) {
    int calls = 0;
    auto compute = [&] {
        ++calls;
        return std::map<std::string, std::vector<int>>{{"squares", {1, 4, 9}}, {"empty", {}}};
    };
    auto first = executor_->checkpoint("prepare/inputs", compute);
    auto second = executor_->checkpoint("prepare/inputs", compute);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(first, second);
    EXPECT_EQ(second.at("squares"), (std::vector<int>{1, 4, 9}));
    // A fresh executor (a restarted process) finds it too.
    auto restarted = hpcexec::HpcExecutor::from_config(executor_->config());
    EXPECT_EQ(restarted->checkpoint("prepare/inputs", compute), first);
    EXPECT_EQ(calls, 1);
}

TEST_F(MemoTest, ExceptionsAreNotRecorded) {
    int calls = 0;
    auto flaky = [&]() -> std::string {
        if (++calls == 1) throw std::runtime_error("transient");
        return "ok";
    };
    EXPECT_THROW(executor_->checkpoint("flaky", flaky), std::runtime_error);
    EXPECT_EQ(executor_->checkpoint("flaky", flaky), "ok");
    EXPECT_EQ(executor_->checkpoint("flaky", flaky), "ok");
    EXPECT_EQ(calls, 2);
}

TEST_F(MemoTest, UnreadableRecordIsAnErrorNotAMiss) {
    executor_->checkpoint_store()->put("broken", "hpcexec-memo 1 pickle\n\x80\x04garbage");
    int calls = 0;
    auto message = hpcexec::test::error_of<hpcexec::CheckpointError>([&] {
        executor_->checkpoint("broken", [&] { return ++calls; });
    });
    EXPECT_NE(message.find("key 'broken'"), std::string::npos) << message;
    EXPECT_NE(message.find("corrupt memoised value"), std::string::npos) << message;
    EXPECT_NE(message.find((root_ / "store").string()), std::string::npos) << message;
    EXPECT_EQ(calls, 0);
    executor_->checkpoint_store()->put("other", "{\"format\":1}");
    EXPECT_NE(hpcexec::test::error_of<hpcexec::CheckpointError>([&] { executor_->checkpoint("other", [] { return 1; }); })
                  .find("not a memoised value"),
              std::string::npos);
}
