// run() through the persistent command server: one server for many commands, the fallbacks to a channel per
// command, a server that dies, timeouts. (The results themselves are checked by run_test.cpp, whose default
// configuration goes through the server.)
#include "ssh_cluster_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <csignal>
#include <future>
#include <set>
#include <thread>
#include <vector>

using namespace ssh_test;

namespace {

// The command that prints the process id of its shell's parent and that parent's command line: through the server,
// the Python server with its marker; on a channel of its own, the connection's sshd process.
const std::string parent_probe = "echo $PPID; tr '\\0' ' ' < /proc/$PPID/cmdline";

struct Parent {
    std::string pid;
    std::string command_line;
};

Parent parent_of_a_run(const std::shared_ptr<hpcexec::HpcExecutor>& ex) {
    std::string out = ex->run(parent_probe).stdout_data;
    auto newline = out.find('\n');
    if (newline == std::string::npos) return {out, ""};
    return {out.substr(0, newline), out.substr(newline + 1)};
}

bool is_command_server(const Parent& parent) {
    return parent.command_line.find("hpcexec-command-server") != std::string::npos;
}

class CommandServerTest : public SshClusterTest, public ::testing::WithParamInterface<Route> {};

}  // namespace

TEST_P(CommandServerTest, SequentialRunsGoThroughOneServer) {
    auto ex = executor(GetParam());
    const Parent first = parent_of_a_run(ex);
    ASSERT_TRUE(is_command_server(first)) << first.command_line;
    for (int i = 0; i < 30; ++i) EXPECT_EQ(parent_of_a_run(ex).pid, first.pid) << i;
}

TEST_P(CommandServerTest, ConcurrentRunsGoThroughOneServerAndKeepTheirOutputsApart) {
    auto ex = executor(GetParam());
    const Parent server = parent_of_a_run(ex);
    std::vector<std::future<hpcexec::CommandResult>> runs;
    for (int i = 0; i < 40; ++i) {
        hpcexec::CommandSpec spec{"echo $PPID; head -c " + std::to_string(100000 + i) + " /dev/zero | tr '\\0' " +
                                      static_cast<char>('a' + i % 26) + " >&2; cat",
                                  "", {}, std::string(70000 + i, 'x'), std::nullopt};
        runs.push_back(boost::asio::co_spawn(ex->kernel()->loop().context(), ex->connector()->run(std::move(spec)),
                                             boost::asio::use_future));
    }
    for (int i = 0; i < 40; ++i) {
        auto result = runs[static_cast<std::size_t>(i)].get();
        EXPECT_EQ(result.exit_status, 0) << i;
        EXPECT_EQ(result.stdout_data, server.pid + "\n" + std::string(70000 + i, 'x')) << i;
        EXPECT_EQ(result.stderr_data, std::string(100000 + i, static_cast<char>('a' + i % 26))) << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Routes, CommandServerTest, ::testing::Values(Route::direct, Route::one_gateway),
                         [](const auto& param_info) { return route_name(param_info.param); });

TEST_F(SshClusterTest, CommandServerOffRunsEachCommandOnItsOwnChannel) {
    auto ssh = ssh_section();
    ssh["command_server"] = "off";
    auto ex = executor(ssh);
    const Parent parent = parent_of_a_run(ex);
    EXPECT_FALSE(is_command_server(parent)) << parent.command_line;
    EXPECT_NE(parent.command_line.find("sshd"), std::string::npos) << parent.command_line;  // a channel's command
    hpcexec::RunOptions options;
    options.check = false;
    EXPECT_EQ(ex->run("echo hi; exit 4", options).exit_status, 4);
}

TEST_F(SshClusterTest, CommandServerGivesCommandsTheEnvironmentAndDirectoryOfAChannel) {
    auto served = executor();
    ASSERT_TRUE(is_command_server(parent_of_a_run(served)));
    auto ssh = ssh_section();
    ssh["command_server"] = "off";
    auto channel = executor(ssh);  // the same endpoint and session (same SSH_CLIENT), a channel per command
    const std::string probe = "env | sort; pwd; umask; ulimit -n; id";
    EXPECT_EQ(served->run(probe).stdout_data, channel->run(probe).stdout_data);
    hpcexec::RunOptions options;
    options.cwd = "/tmp";
    options.env = {{"A_B", "x y"}};
    EXPECT_EQ(served->run(probe, options).stdout_data, channel->run(probe, options).stdout_data);
}

TEST_F(SshClusterTest, CommandServerWithAMissingPythonFallsBackToChannels) {
    auto ssh = ssh_section();
    ssh["command_server_python"] = "/nonexistent/python3";
    auto ex = executor(ssh);
    const Parent parent = parent_of_a_run(ex);
    EXPECT_FALSE(is_command_server(parent)) << parent.command_line;
    EXPECT_NE(parent.command_line.find("sshd"), std::string::npos) << parent.command_line;  // a channel's command
    hpcexec::RunOptions options;
    options.check = false;
    options.stdin_data = "in";
    auto result = ex->run("cat; echo err >&2; exit 5", options);
    EXPECT_EQ(result.stdout_data, "in");
    EXPECT_EQ(result.stderr_data, "err\n");
    EXPECT_EQ(result.exit_status, 5);
}

TEST_F(SshClusterTest, CommandServerSettingsAreChecked) {
    auto ssh = ssh_section();
    ssh["command_server"] = "sometimes";
    try {
        executor(ssh);
        FAIL() << "no ConfigError";
    } catch (const hpcexec::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("ssh.command_server"), std::string::npos) << e.what();
    }
}

TEST_F(SshClusterTest, CommandServerKilledBetweenRunsIsReplaced) {
    auto ex = executor();
    const Parent first = parent_of_a_run(ex);
    ASSERT_TRUE(is_command_server(first)) << first.command_line;
    // Same machine: kill it from outside, as an administrator would (by its process id: the marker would also
    // match the servers of other clusters on this machine).
    EXPECT_EQ(run_shell("kill -KILL " + first.pid + " && echo killed"), "killed\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const Parent second = parent_of_a_run(ex);
    EXPECT_TRUE(is_command_server(second)) << second.command_line;
    EXPECT_NE(second.pid, first.pid);
}

TEST_F(SshClusterTest, CommandServerDyingUnderACommandIsConnectionLostNamingIt) {
    auto ex = executor();
    ASSERT_TRUE(is_command_server(parent_of_a_run(ex)));
    try {
        ex->run("kill -KILL $PPID; sleep 5");
        FAIL() << "no ConnectionLost";
    } catch (const hpcexec::ConnectionLost& e) {
        EXPECT_NE(std::string(e.what()).find("command server"), std::string::npos) << e.what();
    }
    EXPECT_EQ(ex->run("echo again").stdout_data, "again\n");
}

TEST_F(SshClusterTest, CommandServerTimeoutKillsTheProcessGroup) {
    auto ex = executor();
    ASSERT_TRUE(is_command_server(parent_of_a_run(ex)));
    const std::string marker = "8" + std::to_string(::getpid() % 100000) + ".5";  // a unique sleep duration
    hpcexec::RunOptions options;
    options.check = false;
    options.timeout = std::chrono::milliseconds(800);
    Stopwatch watch;
    auto result = ex->run("sleep " + marker + " & sleep " + marker + "; wait", options);
    EXPECT_TRUE(result.timed_out);
    EXPECT_EQ(result.exit_status, 128 + SIGTERM);
    EXPECT_LT(watch.seconds(), 4.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(run_shell("pgrep -f 'sleep [8]" + marker.substr(1) + "' || true"), "");
    // A command that ignores SIGTERM is killed 2 s later.
    watch = Stopwatch();
    result = ex->run("trap '' TERM; sleep " + marker, options);
    EXPECT_TRUE(result.timed_out);
    EXPECT_LT(watch.seconds(), 5.5);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(run_shell("pgrep -f 'sleep [8]" + marker.substr(1) + "' || true"), "");
}

TEST_F(SshClusterTest, CommandServerEndsItsCommandsWhenTheConnectorCloses) {
    const std::string marker = "7" + std::to_string(::getpid() % 100000) + ".5";
    {
        auto ex = executor();
        ASSERT_TRUE(is_command_server(parent_of_a_run(ex)));
        hpcexec::CommandSpec spec{"sleep " + marker, "", {}, "", std::nullopt};
        auto running = boost::asio::co_spawn(ex->kernel()->loop().context(), ex->connector()->run(std::move(spec)),
                                             boost::asio::use_future);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ASSERT_NE(run_shell("pgrep -f 'sleep [7]" + marker.substr(1) + "' || true"), "");
    }  // the executor goes, with its connection: the server's input ends
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    EXPECT_EQ(run_shell("pgrep -f 'sleep [7]" + marker.substr(1) + "' || true"), "");
}
