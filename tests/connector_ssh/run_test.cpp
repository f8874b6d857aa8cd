// Commands over SSH: results, streams, argv quoting, concurrency on one session, sharing, timeouts.
#include "ssh_cluster_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <vector>

using namespace ssh_test;

namespace {

class SshRunTest : public SshClusterTest, public ::testing::WithParamInterface<Route> {};

}  // namespace

TEST_P(SshRunTest, RunsACommandWithStatusStreamsStdinEnvAndCwd) {
    auto ex = executor(GetParam());
    hpcexec::RunOptions options;
    options.check = false;
    options.stdin_data = std::string("line one\nbinary\0zero\n", 22);
    options.env = {{"GREETING", "it's $HOME"}};
    auto result = ex->run("cat; echo \"$GREETING\"; echo err >&2; pwd; exit 3", options);
    EXPECT_EQ(result.exit_status, 3);
    EXPECT_EQ(result.stdout_data, std::string("line one\nbinary\0zero\n", 22) + "it's $HOME\n" + remote_dir_ + "\n");
    EXPECT_EQ(result.stderr_data, "err\n");
    EXPECT_EQ(ex->connector()->target(), host("HPCEXEC_TC_LOGIN_PORT"));
}

TEST_P(SshRunTest, ArgvReachesTheProgramLiterally) {
    auto ex = executor(GetParam());
    auto result = ex->run_argv({"printf", "%s|", "$HOME", "a b", "it's", "*", "new\nline"});
    EXPECT_EQ(result.stdout_data, "$HOME|a b|it's|*|new\nline|");
}

TEST_P(SshRunTest, LargeOutputOnBothStreamsDoesNotBlock) {
    auto ex = executor(GetParam());
    // 4 MB on each stream, interleaved: a reader of only one stream would stall on the other's window.
    auto result = ex->run("head -c 4194304 /dev/zero | tr '\\0' a; head -c 4194304 /dev/zero | tr '\\0' b >&2");
    EXPECT_EQ(result.stdout_data.size(), 4194304u);
    EXPECT_EQ(result.stderr_data.size(), 4194304u);
}

INSTANTIATE_TEST_SUITE_P(Routes, SshRunTest,
                         ::testing::Values(Route::direct, Route::one_gateway, Route::two_gateways),
                         [](const auto& param_info) { return route_name(param_info.param); });

TEST_F(SshClusterTest, KilledBySignalReports128PlusN) {
    auto ex = executor();
    hpcexec::RunOptions options;
    options.check = false;
    auto result = ex->run("kill -KILL $$", options);
    EXPECT_EQ(result.exit_status, 128 + 9);
}

TEST_F(SshClusterTest, HundredConcurrentRunsShareOneSession) {
    auto ex = executor();
    ex->init();  // connects
    const std::string log = env("HPCEXEC_TC_LOGIN_LOG");
    const std::size_t logins_before = count_lines_containing(log, "Accepted publickey");
    std::vector<std::future<hpcexec::CommandResult>> runs;
    for (int i = 0; i < 100; ++i) {
        hpcexec::CommandSpec spec{"echo " + std::to_string(i) + "; sleep 0.2", "", {}, "", std::nullopt};
        runs.push_back(boost::asio::co_spawn(ex->kernel()->loop().context(), ex->connector()->run(std::move(spec)),
                                             boost::asio::use_future));
    }
    for (int i = 0; i < 100; ++i) {
        auto result = runs[static_cast<std::size_t>(i)].get();
        EXPECT_EQ(result.exit_status, 0) << i << ": " << result.stderr_data;
        EXPECT_EQ(result.stdout_data, std::to_string(i) + "\n");
    }
    EXPECT_EQ(count_lines_containing(log, "Accepted publickey"), logins_before) << "a second login happened";
}

TEST_F(SshClusterTest, ExecutorsNamingTheSameHostShareTheSession) {
    const std::string log = env("HPCEXEC_TC_LOGIN_LOG");
    auto first = executor();
    first->init();
    const std::size_t logins = count_lines_containing(log, "Accepted publickey");
    auto second = executor();
    EXPECT_EQ(second->run("echo shared").stdout_data, "shared\n");
    EXPECT_EQ(count_lines_containing(log, "Accepted publickey"), logins);
}

TEST_F(SshClusterTest, TimeoutKillsTheRemoteProcessGroup) {
    auto ex = executor();
    const std::string marker = "9" + std::to_string(::getpid() % 100000) + ".5";  // a unique sleep duration
    hpcexec::RunOptions options;
    options.check = false;
    options.timeout = std::chrono::milliseconds(1000);
    Stopwatch watch;
    auto result = ex->run("sleep " + marker + " & sleep " + marker + "; wait", options);
    EXPECT_TRUE(result.timed_out);
    EXPECT_NE(result.exit_status, 0);
    EXPECT_LT(watch.seconds(), 5.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // Same machine: the background sleep (a grandchild) must be gone too. ("[9]" keeps pgrep from matching the
    // shell that runs it.)
    EXPECT_EQ(run_shell("pgrep -f 'sleep [9]" + marker.substr(1) + "' || true"), "");
}

TEST_F(SshClusterTest, SlurmCommandsWorkThroughTheGateway) {
    // The login node's sshd sets SLURM_CONF (SetEnv): sbatch and squeue reached through the gateway.
    auto ex = executor(Route::one_gateway);
    ex->init();
    auto submitted = ex->run("sbatch --parsable --partition=" + env("HPCEXEC_TC_PARTITION") + " --wrap true");
    ASSERT_FALSE(submitted.stdout_data.empty());
    const std::string id = submitted.stdout_data.substr(0, submitted.stdout_data.find_first_of(";\n"));
    auto listed = ex->run("squeue --noheader --states=all --format=%i --jobs=" + id);
    EXPECT_NE(listed.stdout_data.find(id), std::string::npos) << listed.stdout_data << listed.stderr_data;
}
