// SshConnector::start on the test cluster's login node, directly and through the gateway: processes kept open, their
// streams, exit statuses, kill and destruction, channel slots, latency, and a connection that breaks under them.
#include "ssh_cluster_fixture.hpp"
#include "connector_local/remote_process_checks.hpp"

#include <hpcexec/shell.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>
#include <optional>
#include <vector>

using namespace ssh_test;
using remote_process_checks::RemoteProcessChecks;
using remote_process_checks::round_trip;

namespace {

class SshProcessTest : public SshClusterTest, public ::testing::WithParamInterface<Route> {
protected:
    void SetUp() override {
        SshClusterTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        use(ssh_section(GetParam()));
    }

    void TearDown() override {
        checks_.reset();
        executor_.reset();
        SshClusterTest::TearDown();
    }

    /// Makes the checks use an executor with this `ssh` section; the remote scratch directory is created first.
    /// The previous executor goes first: executors naming the same host share its endpoint, settings included.
    void use(const json::object& ssh) {
        checks_.reset();
        executor_.reset();
        executor_ = executor(ssh);
        wait(executor_, executor_->connector()->mkdir(remote_dir_));
        checks_.emplace(executor_->kernel()->loop(), *executor_->connector(), remote_dir_);
    }

    std::shared_ptr<hpcexec::HpcExecutor> executor_;
    std::optional<RemoteProcessChecks> checks_;
};

/// Tests that kill the login node's sshd: it is started again afterwards, whatever happened.
class SshProcessOutageTest : public SshProcessTest {
protected:
    void TearDown() override {
        if (!env_.empty()) ctl("start-login-sshd");
        SshProcessTest::TearDown();
    }
};

std::string parameter_name(const ::testing::TestParamInfo<Route>& info) { return route_name(info.param); }

}  // namespace

TEST_P(SshProcessTest, EchoesManyMessagesAndTenMegabytes) { checks_->echo_round_trips(); }

TEST_P(SshProcessTest, AppliesCwdEnvStdinDataAndArgv) { checks_->spec_applies(); }

TEST_P(SshProcessTest, HeavyStandardErrorDoesNotBlock) { checks_->heavy_stderr_does_not_block(); }

TEST_P(SshProcessTest, ClosingStdinEndsItAndWaitReturnsTheExitStatus) { checks_->exit_status_after_close_stdin(); }

TEST_P(SshProcessTest, KillEndsTheWholeRemoteProcessGroup) { checks_->kill_ends_the_process_group(); }

TEST_P(SshProcessTest, DestroyingARunningProcessKillsIt) { checks_->destroying_kills(); }

TEST_P(SshProcessTest, TwoProcessesAtOnce) { checks_->two_processes_at_once(); }

TEST_P(SshProcessTest, RoundTripLatency) { checks_->latency("ssh " + route_name(GetParam())); }

TEST_P(SshProcessTest, ARunningProcessHoldsAChannelSlotForItsWholeLife) {
    auto ssh = ssh_section(GetParam());
    ssh["max_channels"] = 1;
    use(ssh);
    checks_->holds_the_only_slot();
}

// When the server refuses the kill command's extra channel (all of its MaxSessions, 10 on the test cluster, are in
// use), kill() closes the process's channel instead: `cat` sees the end of its input and exits, and the shell goes on
// (where a group kill would have ended it), leaving a file that proves which way it went.
TEST_P(SshProcessTest, KillClosesTheChannelWhenTheServerRefusesAnother) {
    auto ssh = ssh_section(GetParam());
    ssh["max_channels"] = 10;
    use(ssh);
    const std::string cut_off = remote_dir_ + "/input ended";
    std::vector<std::unique_ptr<hpcexec::RemoteProcess>> cats;
    for (int i = 0; i < 10; ++i) {
        const std::string pid_file = remote_dir_ + "/cat" + std::to_string(i) + ".pid";
        cats.push_back(checks_->start("echo $$ > " + hpcexec::shell_quote(pid_file) + "; cat; echo " + std::to_string(i) +
                                      " > " + hpcexec::shell_quote(cut_off)));
    }
    const auto pid = process_watch::pid_written_to(remote_dir_ + "/cat0.pid", std::chrono::milliseconds(10000));
    ASSERT_TRUE(pid);
    cats[0]->kill();
    EXPECT_EQ(checks_->run(cats[0]->wait(), std::chrono::seconds(10)), 128 + 9);
    EXPECT_TRUE(process_watch::process_dies_within(*pid, std::chrono::milliseconds(5000)));
    EXPECT_EQ(process_watch::pid_written_to(cut_off, std::chrono::milliseconds(5000)), 0)
        << "the process was not cut off by closing its channel";
    // The others are untouched.
    EXPECT_EQ(checks_->run(round_trip(*cats[9], "alive")), "alive");
}

TEST_P(SshProcessOutageTest, ABrokenConnectionIsConnectionLostForEveryCall) {
    auto cat = checks_->start("cat");
    EXPECT_EQ(checks_->run(round_trip(*cat, "before")), "before");
    auto pending = boost::asio::co_spawn(executor_->kernel()->loop().context(), cat->read_some(), boost::asio::use_future);
    Stopwatch watch;
    ctl("kill-login-sshd-all");
    ASSERT_EQ(pending.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "read_some() still waiting";
    try {
        pending.get();
        ADD_FAILURE() << "read_some() returned instead of throwing ConnectionLost";
    } catch (const hpcexec::ConnectionLost& e) {
        EXPECT_NE(std::string(e.what()).find("`cat`"), std::string::npos) << e.what();
    }
    EXPECT_LT(watch.seconds(), 5.0);
    EXPECT_THROW(checks_->run(cat->wait()), hpcexec::ConnectionLost);
    EXPECT_THROW(checks_->run(cat->read_some()), hpcexec::ConnectionLost);
    EXPECT_THROW(checks_->run(cat->write("after")), hpcexec::ConnectionLost);
    EXPECT_THROW(checks_->run(cat->close_stdin()), hpcexec::ConnectionLost);
    cat.reset();

    // A new process gets a new connection.
    ctl("start-login-sshd");
    auto again = checks_->start("cat");
    EXPECT_EQ(checks_->run(round_trip(*again, "after")), "after");
}

INSTANTIATE_TEST_SUITE_P(Routes, SshProcessOutageTest, ::testing::Values(Route::direct, Route::one_gateway),
                         parameter_name);

INSTANTIATE_TEST_SUITE_P(Routes, SshProcessTest, ::testing::Values(Route::direct, Route::one_gateway), parameter_name);
