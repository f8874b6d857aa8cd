// HpcExecutor basics through the real local connector plugin.
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

namespace fs = std::filesystem;

namespace {

class ExecutorTest : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
        root_ = fs::temp_directory_path() / ("hpcexec-executor-test-" + std::to_string(getpid()));
        fs::remove_all(root_);
        fs::create_directories(root_ / "home");
        // A relative work_dir is resolved against the home directory: point HOME at a scratch folder.
        setenv("HOME", (root_ / "home").c_str(), 1);
    }
    void TearDown() override { fs::remove_all(root_); }
    fs::path root_;
};

}  // namespace

TEST_F(ExecutorTest, SeedBasicExampleRunsHelloWorld) {
    auto executor = hpcexec::HpcExecutor::from_config_text("work_dir: /tmp/unused\npython_cmd: python3\n");
    auto result = executor->run("echo \"hello world\"");
    EXPECT_EQ(result.exit_status, 0);
    EXPECT_EQ(result.stdout_data, "hello world\n");
}

// Connectors and queue systems are used from the kernel's loop thread only, whatever executor the caller's
// coroutine runs on: a submission awaited from the program's own io_context (as the samples do) runs on the loop
// and the caller resumes on its own thread.
TEST_F(ExecutorTest, AsyncCallsFromTheCallersOwnIoContextRunOnTheKernelLoop) {
    auto executor = hpcexec::HpcExecutor::from_config_text(
        "work_dir: w\nqueue_system: {testqueue: {polling_interval: 0.05}}\nplugin_dirs: ['" +
        std::string(TEST_PLUGIN_ROOT) + "/good_plugin']\n");
    auto& loop = executor->kernel()->loop();
    auto loop_thread = loop.sync_wait([]() -> boost::asio::awaitable<std::thread::id> {
        co_return std::this_thread::get_id();
    }());
    boost::asio::io_context own_context;
    std::string submitted_on;
    std::thread::id resumed_on;
    hpcexec::JobState final_state = hpcexec::JobState::unknown;
    boost::asio::co_spawn(own_context, [&]() -> boost::asio::awaitable<void> {
        // (No temporaries in the co_await expression: GCC 12 destroys them twice.)
        std::string script = "#!/bin/sh\n";
        hpcexec::SubmitOptions options;
        hpcexec::Job job = co_await executor->submit_async(script, options);
        submitted_on = job.id();
        hpcexec::JobStatus status = co_await job.result_async();
        final_state = status.state;
        resumed_on = std::this_thread::get_id();
    }, boost::asio::detached);
    own_context.run();
    EXPECT_EQ(submitted_on, std::to_string(std::hash<std::thread::id>{}(loop_thread)));
    EXPECT_EQ(final_state, hpcexec::JobState::completed);
    EXPECT_EQ(resumed_on, std::this_thread::get_id());
}

// A query that throws something other than an hpcexec::Error is an outage like any other: the poller keeps the
// job's state, retries, and the waiter sees the job end (before the fix the poller ended silently, the wait hung).
TEST_F(ExecutorTest, PollerSurvivesAQueryThatThrowsAnyException) {
    auto executor = hpcexec::HpcExecutor::from_config_text(
        "work_dir: w\nqueue_system: {testqueue: {polling_interval: 0.02, failing_queries: 2}}\nplugin_dirs: ['" +
        std::string(TEST_PLUGIN_ROOT) + "/good_plugin']\n");
    hpcexec::Job job = executor->submit("#!/bin/sh\n");
    EXPECT_EQ(job.result(std::chrono::seconds(20)).state, hpcexec::JobState::completed);
}

TEST_F(ExecutorTest, InitResolvesRelativeWorkDirAgainstHomeAndCreatesTmp) {
    auto executor = hpcexec::HpcExecutor::from_config_text("work_dir: runs/lab one\n");
    executor->init();
    auto expected = (root_ / "home" / "runs" / "lab one").string();
    EXPECT_EQ(executor->work_dir(), expected);
    EXPECT_TRUE(fs::is_directory(expected));
    EXPECT_TRUE(fs::is_directory(executor->tmp_dir()));
    EXPECT_EQ(fs::path(executor->tmp_dir()).parent_path(), fs::path(expected));
    // Commands run in work_dir by default.
    EXPECT_EQ(executor->run("pwd").stdout_data, expected + "\n");
}

TEST_F(ExecutorTest, NonZeroExitThrowsCommandFailedWithEverything) {
    auto executor = hpcexec::HpcExecutor::from_config_text("work_dir: w\n");
    try {
        executor->run("echo out; echo err >&2; exit 3");
        FAIL() << "expected CommandFailed";
    } catch (const hpcexec::CommandFailed& e) {
        EXPECT_EQ(e.exit_status(), 3);
        EXPECT_EQ(e.stdout_text(), "out\n");
        EXPECT_EQ(e.stderr_text(), "err\n");
        EXPECT_EQ(e.command(), "echo out; echo err >&2; exit 3");
        EXPECT_EQ(e.where(), "local");
        EXPECT_STREQ(e.what(), "command failed on local: echo out; echo err >&2; exit 3 (exit status 3): err");
    }
    // Unless the caller asks for the result.
    hpcexec::RunOptions options;
    options.check = false;
    auto result = executor->run("exit 4", options);
    EXPECT_EQ(result.exit_status, 4);
}

TEST_F(ExecutorTest, FileOperationsAreRelativeToWorkDir) {
    auto executor = hpcexec::HpcExecutor::from_config_text("work_dir: " + (root_ / "wd").string() + "\n");
    executor->mkdir("a b/c");
    EXPECT_TRUE(fs::is_directory(root_ / "wd" / "a b" / "c"));
    executor->dump_text("it's $HOME\n", "a b/c/note.txt");
    EXPECT_EQ(executor->load_text((root_ / "wd" / "a b" / "c" / "note.txt").string()), "it's $HOME\n");
    executor->dump_text("x", "a b/c/other.txt");
    auto found = executor->glob("a b/c/*.txt");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0], (root_ / "wd" / "a b" / "c" / "note.txt").string());

    fs::create_directories(root_ / "local" / "tree" / "sub");
    std::ofstream(root_ / "local" / "tree" / "sub" / "f.txt") << "payload";
    executor->upload(root_ / "local" / "tree", "uploaded");
    EXPECT_EQ(executor->load_text("uploaded/sub/f.txt"), "payload");
    executor->download("uploaded", root_ / "back");
    std::ifstream in(root_ / "back" / "sub" / "f.txt");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "payload");
    EXPECT_THROW(executor->load_text("does-not-exist.txt"), hpcexec::FileError);
}

TEST_F(ExecutorTest, ArgvRunsWithoutAShell) {
    auto executor = hpcexec::HpcExecutor::from_config_text("work_dir: w\n");
    auto result = executor->run_argv({"printf", "%s|", "$HOME", "a b", "it's"});
    EXPECT_EQ(result.stdout_data, "$HOME|a b|it's|");
}
