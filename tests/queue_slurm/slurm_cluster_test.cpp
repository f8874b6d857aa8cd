// The slurm queue plugin and the status poller against the real single-node Slurm of the local test cluster,
// through the local connector and through the SSH connector via the gateway.
#include "slurm_fixture.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace std::chrono_literals;
using hpcexec::HpcExecutor;
using hpcexec::Job;
using hpcexec::JobState;
using hpcexec::test::SlurmCluster;

namespace {

const char* quick_script = "#!/bin/bash\n#SBATCH --job-name=hpcexec-test\necho done > out.txt\n";

}  // namespace

TEST_P(SlurmCluster, SubmitAndBlockingWait) {
    auto executor = make_executor();
    Job job = executor->submit(quick_script);
    EXPECT_FALSE(job.id().empty());
    EXPECT_EQ(std::filesystem::path(job.script_path()).filename().string().rfind("job-", 0), 0u);
    auto status = job.result(60s);
    EXPECT_EQ(status.state, JobState::completed);
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_EQ(executor->load_text("out.txt"), "done\n");
    // The script carries the same content-hash name as the original's, beside the job's output: the user's script
    // with the exit-marker recorder after its #SBATCH header.
    std::string written = executor->load_text(job.script_path());
    EXPECT_EQ(written.rfind("#!/bin/bash\n#SBATCH --job-name=hpcexec-test\n", 0), 0u) << written;
    EXPECT_NE(written.find("trap __hpcexec_record_exit EXIT\n"), std::string::npos) << written;
    EXPECT_TRUE(written.ends_with("echo done > out.txt\n")) << written;
}

TEST_P(SlurmCluster, FiftyJobsAwaitedConcurrentlyWithCoroutines) {
    auto executor = make_executor();
    std::vector<Job> jobs;
    for (int i = 0; i < 50; ++i) {
        hpcexec::SubmitOptions options;
        options.cwd = "job" + std::to_string(i);
        jobs.push_back(executor->submit("#!/bin/bash\necho " + std::to_string(i * i) + " > out.txt\n", options));
    }
    // The caller's own io_context: the jobs complete on the kernel's loop and resume these coroutines here.
    boost::asio::io_context user_context;
    std::atomic<int> completed{0};
    for (auto& job : jobs) {
        boost::asio::co_spawn(user_context, [&completed, job]() -> boost::asio::awaitable<void> {
            auto status = co_await job.result_async();
            if (status.state == JobState::completed) ++completed;
        }, boost::asio::detached);
    }
    auto started = std::chrono::steady_clock::now();
    user_context.run_for(120s);
    EXPECT_EQ(completed.load(), 50);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 120s);
    EXPECT_EQ(executor->load_text("job7/out.txt"), "49\n");
}

TEST_P(SlurmCluster, ExitThreeIsFailedWithExitCodeThree) {
    auto executor = make_executor();
    auto status = executor->submit("#!/bin/bash\nexit 3\n").result(60s);
    EXPECT_EQ(status.state, JobState::failed);
    EXPECT_EQ(status.exit_code, 3);
}

TEST_P(SlurmCluster, TimeLimitGivesTimeout) {
    auto executor = make_executor();
    auto status = executor->submit("#!/bin/bash\n#SBATCH --time=0:01\nsleep 300\n").result(240s);
    EXPECT_EQ(status.state, JobState::timeout);
}

TEST_P(SlurmCluster, CancelPendingAndRunningJobs) {
    auto executor = make_executor();
    hpcexec::SubmitOptions later;
    later.extra_args = {"--begin=now+3600"};  // stays PENDING
    Job pending = executor->submit("#!/bin/bash\necho never\n", later);
    Job running = executor->submit("#!/bin/bash\nsleep 300\n");
    for (int i = 0; i < 60 && running.state() != JobState::running; ++i) std::this_thread::sleep_for(500ms);
    ASSERT_EQ(running.state(), JobState::running);
    EXPECT_EQ(pending.state(), JobState::pending);
    pending.cancel();
    running.cancel();
    EXPECT_EQ(pending.result(60s).state, JobState::cancelled);
    EXPECT_EQ(running.result(60s).state, JobState::cancelled);
}

TEST_P(SlurmCluster, SbatchRefusalCarriesSbatchsMessage) {
    auto executor = make_executor();
    hpcexec::SubmitOptions options;
    options.extra_args = {"--partition=no-such-partition"};
    try {
        executor->submit(quick_script, options);
        FAIL() << "expected SchedulerError";
    } catch (const hpcexec::SchedulerError& e) {
        std::string message = e.what();
        EXPECT_NE(message.find("sbatch refused the job"), std::string::npos) << message;
        EXPECT_NE(message.find("invalid partition"), std::string::npos) << message;
    }
}

TEST_P(SlurmCluster, PurgedJobStillEndsInItsTrueState) {
    auto executor = make_executor();
    Job job = executor->submit("#!/bin/bash\nexit 3\n");
    ASSERT_EQ(job.result(60s).state, JobState::failed);
    // Wait until Slurm has purged it (MinJobAge in the test cluster, plus the controller's purge cycle).
    auto deadline = std::chrono::steady_clock::now() + 200s;
    while (slurm_knows(*executor, job.id()) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(2s);
    ASSERT_FALSE(slurm_knows(*executor, job.id())) << "Slurm did not purge job " << job.id();
    // A fresh executor (as after a restart) attaches to the purged job: its exit marker tells the truth.
    auto fresh = make_executor("polling_interval: 1, sacct_bin: ''");
    auto status = fresh->attach(job.ref()).result(30s);
    EXPECT_EQ(status.state, JobState::failed);
    EXPECT_EQ(status.exit_code, 3);
    // A job nobody knows and that left no marker has vanished.
    hpcexec::JobRef ghost = job.ref();
    ghost.job_id = "999999";
    auto vanished = fresh->attach(ghost).result(30s);
    EXPECT_EQ(vanished.state, JobState::failed);
    EXPECT_EQ(vanished.reason, "vanished");
}

TEST_P(SlurmCluster, GatherJobsResubmitsUntilMaxTries) {
    auto executor = make_executor();
    // Fails on the first run, succeeds on the second: a counter file beside the script.
    std::string flaky = "#!/bin/bash\nif [ -f tried ]; then exit 0; fi\ntouch tried\nexit 1\n";
    auto statuses = hpcexec::gather_jobs({executor->submit(flaky)}, 2, true);
    ASSERT_EQ(statuses.size(), 1u);
    EXPECT_EQ(statuses[0].state, JobState::completed);
    // Always failing: after max_tries, an error listing it.
    try {
        hpcexec::SubmitOptions options;
        options.cwd = "always";
        hpcexec::gather_jobs({executor->submit("#!/bin/bash\nexit 7\n", options)}, 2, true);
        FAIL() << "expected JobsFailed";
    } catch (const hpcexec::JobsFailed& e) {
        EXPECT_NE(std::string(e.what()).find("FAILED (exit code 7)"), std::string::npos) << e.what();
        EXPECT_EQ(e.statuses()[0].exit_code, 7);
    }
}

TEST_P(SlurmCluster, ManyWaitersCostOneSqueuePerInterval) {
    // squeue through a wrapper that counts its calls (and then runs the real squeue), written where the executor's
    // user (root locally, the cluster's user over SSH) can run it.
    auto setup = make_executor();
    setup->init();  // creates work_dir
    std::string counter = work_dir_ + "/squeue-calls";
    std::string wrapper = work_dir_ + "/counting-squeue";
    setup->dump_text("#!/bin/sh\necho call >> '" + counter + "'\nexec squeue \"$@\"\n", wrapper);
    setup->run_argv({"chmod", "755", wrapper});
    std::string options_text = "polling_interval: 1, squeue_bin: '" + wrapper + "'";
    // Two executors of the same cluster share one poller: all their jobs cost one query per interval.
    auto first = make_executor(options_text);
    auto second = make_executor(options_text);
    ASSERT_EQ(first->status_poller(), second->status_poller());
    std::vector<Job> jobs;
    hpcexec::SubmitOptions options;
    options.extra_args = {"--begin=now+4"};
    for (int i = 0; i < 10; ++i) jobs.push_back(first->submit("#!/bin/bash\ntrue\n", options));
    options.cwd = "second";
    for (int i = 0; i < 10; ++i) jobs.push_back(second->submit("#!/bin/bash\ntrue #" + std::to_string(i) + "\n", options));
    auto started = std::chrono::steady_clock::now();
    hpcexec::gather_jobs(jobs);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::string calls_text = first->load_text(counter);
    int calls = static_cast<int>(std::count(calls_text.begin(), calls_text.end(), '\n'));
    EXPECT_GE(calls, 1);
    // polling_interval is 1 s: one call per elapsed interval (+1 for the partial one), however many jobs wait.
    EXPECT_LE(calls, static_cast<int>(seconds) + 1) << calls << " squeue calls in " << seconds << " s for 20 jobs";
}

INSTANTIATE_TEST_SUITE_P(Routes, SlurmCluster,
                         ::testing::Values(hpcexec::test::SlurmRoute::local,
                                           hpcexec::test::SlurmRoute::ssh_via_gateway),
                         hpcexec::test::slurm_route_name);
