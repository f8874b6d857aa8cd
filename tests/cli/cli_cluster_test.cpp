// The `hpcexec` job commands against the real Slurm of the local test cluster (label "cluster"): submit, status,
// wait, cancel and checkpoints, through the local connector.
#include "cli/cli_fixture.hpp"
#include "common/test_cluster.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <thread>

using hpcexec::test::CliResult;
using hpcexec::test::CliRun;
using hpcexec::test::describe;
using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;
using namespace std::chrono_literals;

namespace {

class CliCluster : public hpcexec::test::CliTest {
protected:
    void SetUp() override {
        CliTest::SetUp();
        auto cluster = hpcexec::test::test_cluster_env();
        ASSERT_FALSE(cluster.empty());
        env_["SLURM_CONF"] = cluster["SLURM_CONF"];
        const auto* info = testing::UnitTest::GetInstance()->current_test_info();
        work_dir_ = cluster["HPCEXEC_TC_WORK_DIR"] + "/cli-test-" + info->name() + "-" + std::to_string(getpid());
        use_config("queue_system: {slurm: {polling_interval: 1}}\n"
                   "work_dir: '" + work_dir_ + "'\n"
                   "checkpoint: {dir: {path: '" + (temp_dir_ / "checkpoints").string() + "'}}\n");
    }

    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(work_dir_, ignored);
        CliTest::TearDown();
    }

    // Submits a script from standard input and returns the job id that `submit` printed.
    std::string submit(const std::string& script, std::vector<std::string> options = {}) {
        std::vector<std::string> args{"submit"};
        args.insert(args.end(), options.begin(), options.end());
        auto result = cli(args, script);
        EXPECT_EQ(result.exit_code, 0) << describe(result);
        std::string id = result.out;
        while (!id.empty() && id.back() == '\n') id.pop_back();
        EXPECT_FALSE(id.empty()) << describe(result);
        return id;
    }

    // Asks Slurm itself (not hpcexec) whether it still lists a job.
    bool slurm_lists(const std::string& id) {
        CliRun run;
        run.args = {"run", "squeue", "--noheader", "--states=all", "--format=%i", "-j", id};
        run.env = env_;
        auto result = hpcexec::test::run_cli(run);
        return result.exit_code == 0 && result.out.find(id) != std::string::npos;
    }

    std::string work_dir_;
};

const char* quick_script = "#!/bin/bash\n#SBATCH --job-name=hpcexec-cli-test\necho done > out.txt\n";

TEST_F(CliCluster, SubmitFromStandardInputThenWaitCompletes) {
    auto id = submit(quick_script);
    auto wait = cli({"wait", id});
    EXPECT_EQ(wait.exit_code, 0) << describe(wait);
    // Not a terminal: a line per change, ending with the job's final state and the counts.
    EXPECT_THAT(wait.out, HasSubstr(id + " COMPLETED (exit code 0)\n"));
    EXPECT_THAT(wait.out, testing::EndsWith("1 job: 1 COMPLETED\n"));
    EXPECT_EQ(wait.err, "");
    auto status = cli({"status", id});
    EXPECT_EQ(status.exit_code, 0) << describe(status);
    EXPECT_EQ(status.out, id + " COMPLETED (exit code 0)\n");
}

TEST_F(CliCluster, SubmitAScriptFileIntoItsDirectoryWithSchedulerArguments) {
    auto script = write_file("job.sh", "#!/bin/bash\necho \"$SLURM_JOB_NAME\" > name.txt\n");
    auto result = cli({"submit", "--json", "--cwd", "sub", "--sbatch-arg=--job-name=cli-named", script});
    ASSERT_EQ(result.exit_code, 0) << describe(result);
    auto document = boost::json::parse(result.out).as_object();
    std::string id(document.at("job_id").as_string());
    EXPECT_EQ(document.at("cwd").as_string(), work_dir_ + "/sub");
    std::string script_path(document.at("script").as_string());
    EXPECT_THAT(script_path, StartsWith(work_dir_ + "/sub/job-"));
    EXPECT_TRUE(std::filesystem::exists(script_path));

    auto wait = cli({"wait", "--json", "--cwd", "sub", id});
    EXPECT_EQ(wait.exit_code, 0) << describe(wait);
    auto jobs = boost::json::parse(wait.out).as_array();
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0].at("state"), "COMPLETED");
    EXPECT_EQ(jobs[0].at("exit_code"), 0);
    auto name = cli({"run", "cat", "sub/name.txt"});
    EXPECT_EQ(name.out, "cli-named\n") << describe(name);
}

TEST_F(CliCluster, FailingJobMakesWaitAndStatusExitOneWithItsExitCode) {
    auto id = submit("#!/bin/bash\nexit 3\n");
    auto wait = cli({"wait", id});
    EXPECT_EQ(wait.exit_code, 1) << describe(wait);
    EXPECT_THAT(wait.out, HasSubstr(id + " FAILED (exit code 3)"));
    EXPECT_THAT(wait.out, HasSubstr("1 job: 1 FAILED"));
    auto status = cli({"status", "--json", id});
    EXPECT_EQ(status.exit_code, 1) << describe(status);
    auto jobs = boost::json::parse(status.out).as_array();
    EXPECT_EQ(jobs[0].at("state"), "FAILED");
    EXPECT_EQ(jobs[0].at("exit_code"), 3);
}

TEST_F(CliCluster, UnknownJobIdIsFailedVanished) {
    // Decision: an id that neither Slurm nor an exit marker knows is reported as the framework reports it,
    // FAILED [vanished], by status and by wait alike (exit status 1), rather than as an error of the command.
    auto status = cli({"status", "999999"});
    EXPECT_EQ(status.exit_code, 1) << describe(status);
    EXPECT_EQ(status.out, "999999 FAILED [vanished]\n");
    auto wait = cli({"wait", "999999"});
    EXPECT_EQ(wait.exit_code, 1) << describe(wait);
    EXPECT_THAT(wait.out, HasSubstr("999999 FAILED [vanished]\n"));
}

TEST_F(CliCluster, WaitForManyJobsReportsEachAndTheCounts) {
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
        ids.push_back(submit("#!/bin/bash\nsleep " + std::to_string(i) + "\nexit " + (i == 2 ? "5" : "0") + "\n",
                             {"--cwd", "job" + std::to_string(i)}));
    }
    // Jobs submitted in different directories: --cwd names one; the others then end without an exit code,
    // but their states are right.
    std::vector<std::string> args{"wait", "--cwd", "job2"};
    args.insert(args.end(), ids.begin(), ids.end());
    auto wait = cli(args);
    EXPECT_EQ(wait.exit_code, 1) << describe(wait);
    EXPECT_THAT(wait.out, HasSubstr(ids[2] + " FAILED (exit code 5)"));
    for (int i : {0, 1, 3}) EXPECT_THAT(wait.out, HasSubstr(ids[static_cast<std::size_t>(i)] + " COMPLETED"));
    EXPECT_THAT(wait.out, testing::EndsWith("4 jobs: 3 COMPLETED, 1 FAILED\n"));
}

TEST_F(CliCluster, WaitOnATerminalRedrawsOneProgressLine) {
    auto first = submit("#!/bin/bash\nsleep 3\n");
    auto second = submit("#!/bin/bash\nexit 4\n");
    CliRun run;
    run.args = {"wait", first, second};
    run.env = env_;
    run.stdout_is_terminal = true;
    auto wait = hpcexec::test::run_cli(run);
    EXPECT_EQ(wait.exit_code, 1) << describe(wait);
    // The progress line is rewritten in place: carriage return, counts, erase to the end of the line.
    EXPECT_THAT(wait.out, testing::ContainsRegex("\r\\[[0-9]+ s\\] 2 jobs: "));
    EXPECT_THAT(wait.out, HasSubstr("\x1b[K"));
    // At the end: the job that did not complete, then the counts (the terminal turns \n into \r\n).
    EXPECT_THAT(wait.out, HasSubstr(second + " FAILED (exit code 4)"));
    EXPECT_THAT(wait.out, Not(HasSubstr(first + " COMPLETED")));
    EXPECT_THAT(wait.out, HasSubstr("2 jobs: 1 COMPLETED, 1 FAILED\r\n"));
}

TEST_F(CliCluster, WaitTimeoutLeavesTheJobRunning) {
    auto id = submit("#!/bin/bash\nsleep 300\n");
    auto wait = cli({"wait", "--timeout", "2", id});
    EXPECT_EQ(wait.exit_code, 6) << describe(wait);
    EXPECT_THAT(wait.err, HasSubstr("timed out after 2 s; still waiting for 1 of 1 jobs"));
    auto status = cli({"status", id});
    EXPECT_EQ(status.exit_code, 0) << describe(status);
    EXPECT_THAT(status.out, testing::AnyOf(HasSubstr("RUNNING"), HasSubstr("PENDING")));
    EXPECT_EQ(cli({"cancel", id}).exit_code, 0);
}

TEST_F(CliCluster, CancelledJobsEndCancelled) {
    auto running = submit("#!/bin/bash\nsleep 300\n");
    auto held = submit("#!/bin/bash\necho never\n", {"--sbatch-arg=--begin=now+3600"});
    auto cancel = cli({"cancel", running, held});
    EXPECT_EQ(cancel.exit_code, 0) << describe(cancel);
    EXPECT_EQ(cancel.out, "");
    auto wait = cli({"wait", running, held});
    EXPECT_EQ(wait.exit_code, 1) << describe(wait);
    EXPECT_THAT(wait.out, HasSubstr(running + " CANCELLED"));
    EXPECT_THAT(wait.out, HasSubstr(held + " CANCELLED"));
    EXPECT_THAT(wait.out, HasSubstr("2 jobs: 2 CANCELLED"));
    // Cancelling an ended or unknown job is not an error.
    EXPECT_EQ(cli({"cancel", held, "999999"}).exit_code, 0);
}

TEST_F(CliCluster, SchedulerRefusalIsExitFiveWithSbatchsMessage) {
    auto result = cli({"submit", "--sbatch-arg=--partition=no-such-partition"}, quick_script);
    EXPECT_EQ(result.exit_code, 5) << describe(result);
    EXPECT_THAT(result.err, StartsWith("hpcexec: sbatch refused the job"));
    EXPECT_THAT(result.err, HasSubstr("partition"));
}

TEST_F(CliCluster, StatusAfterSlurmForgotTheJobReadsItsExitMarker) {
    auto id = submit("#!/bin/bash\nexit 6\n", {"--cwd", "marked"});
    ASSERT_EQ(cli({"wait", "--cwd", "marked", id}).exit_code, 1);
    // Slurm forgets ended jobs after MinJobAge (30 s on the test cluster).
    for (int i = 0; i < 120 && slurm_lists(id); ++i) std::this_thread::sleep_for(1s);
    ASSERT_FALSE(slurm_lists(id)) << "Slurm still lists job " << id;
    // The marker beside the script still says how it ended...
    auto status = cli({"status", "--cwd", "marked", id});
    EXPECT_EQ(status.exit_code, 1) << describe(status);
    EXPECT_EQ(status.out, id + " FAILED (exit code 6)\n");
    // ...and without the right directory nothing knows the job any more.
    auto elsewhere = cli({"status", id});
    EXPECT_EQ(elsewhere.out, id + " FAILED [vanished]\n") << describe(elsewhere);
}

TEST_F(CliCluster, CheckpointKeysAreListedAndCleared) {
    auto first = submit(quick_script, {"--checkpoint-key", "runs/a"});
    // The same key again: the same job, not a second one.
    EXPECT_EQ(submit(quick_script, {"--checkpoint-key", "runs/a"}), first);
    auto other = submit(quick_script, {"--checkpoint-key", "runs/b"});
    EXPECT_NE(other, first);
    submit(quick_script, {"--checkpoint-key", "keep/c"});

    auto list = cli({"checkpoints", "list"});
    EXPECT_EQ(list.exit_code, 0) << describe(list);
    EXPECT_EQ(list.out, "keep/c\nruns/a\nruns/b\n");
    EXPECT_EQ(cli({"checkpoints", "list", "runs/"}).out, "runs/a\nruns/b\n");
    auto json = cli({"checkpoints", "list", "--json", "runs/a"});
    auto records = boost::json::parse(json.out).at("records").as_array();
    ASSERT_EQ(records.size(), 1u) << json.out;
    EXPECT_EQ(records[0].at("key"), "runs/a");
    EXPECT_GT(records[0].at("bytes").to_number<int>(), 0);

    auto clear = cli({"checkpoints", "clear", "runs/a"});
    EXPECT_EQ(clear.exit_code, 0) << describe(clear);
    EXPECT_EQ(clear.out, "removed runs/a\n");
    // Without its record, the key submits a new job.
    EXPECT_NE(submit(quick_script, {"--checkpoint-key", "runs/a"}), first);

    auto by_prefix = cli({"checkpoints", "clear", "--prefix", "runs/"});
    EXPECT_EQ(by_prefix.exit_code, 0) << describe(by_prefix);
    EXPECT_EQ(by_prefix.out, "removed runs/a\nremoved runs/b\n");
    EXPECT_EQ(cli({"checkpoints", "list"}).out, "keep/c\n");
}

}  // namespace
