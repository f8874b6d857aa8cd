// Links that break: the login sshd restarted between runs, killed during a run, a peer that stops answering.
#include "ssh_cluster_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>

using namespace ssh_test;

namespace {

class SshReconnectTest : public SshClusterTest {
protected:
    void TearDown() override {
        // Whatever happened, leave the login sshd running for the next test.
        if (!env_.empty()) ctl("start-login-sshd");
        SshClusterTest::TearDown();
    }
};

}  // namespace

TEST_F(SshReconnectTest, LoginSshdRestartedBetweenTwoRuns) {
    for (Route route : {Route::direct, Route::one_gateway}) {
        auto ex = executor(route);
        EXPECT_EQ(ex->run("echo before").stdout_data, "before\n");
        ctl("kill-login-sshd-all");
        ctl("start-login-sshd");
        EXPECT_EQ(ex->run("echo after").stdout_data, "after\n") << route_name(route);
    }
}

TEST_F(SshReconnectTest, ReconnectsWhileTheServerComesBackWithBackoff) {
    auto ex = executor();
    EXPECT_EQ(ex->run("echo before").stdout_data, "before\n");
    ctl("kill-login-sshd-all");
    // The server is back 0.5 s after the run starts: the reconnection's retries must bridge the gap.
    auto restart = std::async(std::launch::async, [this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ctl("start-login-sshd");
    });
    EXPECT_EQ(ex->run("echo after").stdout_data, "after\n");
    restart.get();
}

TEST_F(SshReconnectTest, KilledDuringALongRunIsConnectionLost) {
    for (Route route : {Route::direct, Route::one_gateway}) {
        auto ex = executor(route);
        ex->init();
        hpcexec::CommandSpec spec{"sleep 30; echo done", "", {}, "", std::nullopt};
        auto running = boost::asio::co_spawn(ex->kernel()->loop().context(), ex->connector()->run(std::move(spec)),
                                             boost::asio::use_future);
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        Stopwatch watch;
        ctl("kill-login-sshd-all");
        try {
            auto result = running.get();
            ADD_FAILURE() << route_name(route) << ": got a result (exit " << result.exit_status
                          << ") instead of ConnectionLost";
        } catch (const hpcexec::ConnectionLost& e) {
            EXPECT_LT(watch.seconds(), 5.0);
            EXPECT_NE(std::string(e.what()).find("sleep 30; echo done"), std::string::npos) << e.what();
        }
        ctl("start-login-sshd");
        // And the next run reconnects.
        EXPECT_EQ(ex->run("echo again").stdout_data, "again\n");
    }
}

TEST_F(SshReconnectTest, KeepaliveDetectsAPeerThatStoppedAnswering) {
    auto ssh = ssh_section();
    ssh["keepalive_interval"] = 2;
    auto ex = executor(ssh);
    ex->init();
    // Freeze (SIGSTOP) every sshd session process of the login node: the TCP connection stays up, nothing answers.
    const std::string log = env("HPCEXEC_TC_LOGIN_LOG");
    std::string pids = run_shell("pgrep -f '[s]shd: " + env("HPCEXEC_TC_USER") + "' | tr '\\n' ' '");
    ASSERT_FALSE(pids.empty());
    ASSERT_EQ(std::system(("kill -STOP " + pids).c_str()), 0);
    hpcexec::CommandSpec spec{"echo never", "", {}, "", std::nullopt};
    Stopwatch watch;
    std::string error;
    try {
        // The session is noticed dead by its keepalive; the run then reconnects (a fresh sshd process answers).
        auto running = boost::asio::co_spawn(ex->kernel()->loop().context(), ex->connector()->run(std::move(spec)),
                                             boost::asio::use_future);
        auto status = running.wait_for(std::chrono::seconds(10));
        ASSERT_EQ(status, std::future_status::ready) << "still waiting after 10 s";
        auto result = running.get();
        EXPECT_EQ(result.stdout_data, "never\n");
    } catch (const hpcexec::ConnectionError& e) {
        error = e.what();
    }
    std::system(("kill -CONT " + pids + " 2>/dev/null").c_str());
    EXPECT_LT(watch.seconds(), 6.0) << error;
}
