// Exactly-once submission against the real local Slurm: the client is killed with SIGKILL at every step of a
// submission, run again, and Slurm must then hold exactly one job for the key, which completes.
#include "common/test_cluster.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct ProcessResult {
    int exit_code = -1;
    int signal = 0;
    std::string output;
};

// Runs a shell command line, capturing stdout; tells an exit from a death by signal.
ProcessResult run(const std::string& line) {
    ProcessResult result;
    FILE* pipe = popen(line.c_str(), "r");
    if (!pipe) return result;
    std::array<char, 4096> buffer{};
    std::size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
    int status = pclose(pipe);
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    // popen runs the client through sh, which reports a child's death by signal N as exit status 128+N.
    if (result.exit_code > 128) result.signal = result.exit_code - 128;
    return result;
}

class ExactlyOnce : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        env_ = hpcexec::test::test_cluster_env();
        setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
        std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        for (auto& c : name) if (c == '/') c = '-';
        work_dir_ = env_["HPCEXEC_TC_WORK_DIR"] + "/exactly-once-" + name + "-" + std::to_string(getpid());
        fs::remove_all(work_dir_);
        fs::create_directories(work_dir_);
        store_ = work_dir_ + "/checkpoints";
    }
    std::string client(const std::string& prefix, int count, const std::string& fault = "", const std::string& extra = "") {
        std::string line;
        if (!fault.empty()) line += "HPCEXEC_FAULT_INJECTION=" + fault + " ";
        line += "'" + std::string(CLIENT_PATH) + "' '" + work_dir_ + "' dir '" + store_ + "' '" + prefix + "' " +
                std::to_string(count) + " " + extra;
        return line;
    }
    // The jobs Slurm knows whose working directory is this test's: asked of Slurm directly.
    std::vector<std::string> slurm_jobs_here() {
        auto listed = run("squeue --me --noheader --states=all --format='%i|%Z'");
        std::vector<std::string> ids;
        std::istringstream lines(listed.output);
        for (std::string line; std::getline(lines, line);) {
            auto bar = line.find('|');
            if (bar != std::string::npos && line.substr(bar + 1) == work_dir_) ids.push_back(line.substr(0, bar));
        }
        return ids;
    }
    std::map<std::string, std::string> env_;
    std::string work_dir_;
    std::string store_;
};

}  // namespace

TEST_P(ExactlyOnce, KilledAtEveryStepLeavesExactlyOneJob) {
    const std::string step = GetParam();
    auto crashed = run(client("key", 1, step));
    ASSERT_EQ(crashed.signal, 9) << "the client was to die at step " << step << ": " << crashed.output;
    auto rerun = run(client("key", 1));
    ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
    std::istringstream fields(rerun.output);
    std::string key, id, state;
    fields >> key >> id >> state;
    EXPECT_EQ(state, "COMPLETED") << rerun.output;
    auto jobs = slurm_jobs_here();
    ASSERT_EQ(jobs.size(), 1u) << "Slurm holds " << jobs.size() << " jobs for one key after a crash at " << step;
    EXPECT_EQ(jobs[0], id);
    // And a third run reattaches to the same job without submitting.
    auto again = run(client("key", 1));
    EXPECT_NE(again.output.find(" " + id + " COMPLETED"), std::string::npos) << again.output;
    EXPECT_EQ(slurm_jobs_here().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Steps, ExactlyOnce,
                         ::testing::Values("before-record", "after-record", "before-sbatch", "after-sbatch",
                                           "after-record-id"));

class ExactlyOnceRace : public ExactlyOnce {};

TEST_F(ExactlyOnceRace, TwoProcessesAtOnceMakeOneJob) {
    auto first = std::async(std::launch::async, [&] { return run(client("race", 1)); });
    auto second = std::async(std::launch::async, [&] { return run(client("race", 1)); });
    auto a = first.get(), b = second.get();
    ASSERT_EQ(a.exit_code, 0) << a.output;
    ASSERT_EQ(b.exit_code, 0) << b.output;
    EXPECT_EQ(a.output, b.output) << "both processes must report the same job";
    EXPECT_EQ(slurm_jobs_here().size(), 1u);
}

TEST_F(ExactlyOnceRace, RestartReattachesToTwentyPendingJobsWithOneQueryPerInterval) {
    auto submitted = run(client("batch", 20, "", "submit-only"));
    ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
    ASSERT_EQ(slurm_jobs_here().size(), 20u);
    // The restarted process counts its squeue calls through a wrapper that then runs the real squeue.
    std::string counter = work_dir_ + "/squeue-calls";
    std::string wrapper = work_dir_ + "/counting-squeue";
    std::ofstream(wrapper) << "#!/bin/sh\necho call >> '" << counter << "'\nexec squeue \"$@\"\n";
    fs::permissions(wrapper, fs::perms::owner_all);
    auto started = std::chrono::steady_clock::now();
    auto restarted = run(client("batch", 20, "", "wait " + wrapper));
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_EQ(restarted.exit_code, 0) << restarted.output;
    // Same ids, all completed, nothing resubmitted.
    std::istringstream before(submitted.output), after(restarted.output);
    for (int i = 0; i < 20; ++i) {
        std::string k1, id1, k2, id2, state;
        before >> k1 >> id1;
        after >> k2 >> id2 >> state;
        EXPECT_EQ(id1, id2);
        EXPECT_EQ(state, "COMPLETED");
    }
    EXPECT_EQ(slurm_jobs_here().size(), 20u);
    std::ifstream in(counter);
    int calls = 0;
    for (std::string line; std::getline(in, line);) ++calls;
    EXPECT_LE(calls, static_cast<int>(seconds) + 1) << calls << " squeue calls in " << seconds << " s for 20 jobs";
}
