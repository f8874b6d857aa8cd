// LocalConnector::start: processes kept open, their streams, exit statuses, kill and destruction, latency.
#include "local_connector_fixture.hpp"
#include "remote_process_checks.hpp"

using namespace local_test;
using hpcexec::CommandSpec;
using remote_process_checks::RemoteProcessChecks;

namespace {

class LocalProcessTest : public LocalConnectorTest {
protected:
    RemoteProcessChecks checks{kernel_.loop(), *connector_, scratch_.string()};
};

}  // namespace

TEST_F(LocalProcessTest, EchoesManyMessagesAndTenMegabytes) { checks.echo_round_trips(); }

TEST_F(LocalProcessTest, AppliesCwdEnvStdinDataAndArgv) { checks.spec_applies(); }

TEST_F(LocalProcessTest, HeavyStandardErrorDoesNotBlock) { checks.heavy_stderr_does_not_block(); }

TEST_F(LocalProcessTest, ClosingStdinEndsItAndWaitReturnsTheExitStatus) { checks.exit_status_after_close_stdin(); }

TEST_F(LocalProcessTest, KillEndsTheWholeProcessGroup) { checks.kill_ends_the_process_group(); }

TEST_F(LocalProcessTest, DestroyingARunningProcessKillsIt) { checks.destroying_kills(); }

TEST_F(LocalProcessTest, TwoProcessesAtOnce) { checks.two_processes_at_once(); }

TEST_F(LocalProcessTest, RoundTripLatency) { checks.latency("local"); }

TEST_F(LocalProcessTest, ACommandThatCannotStartExitsLikeInAShell) {
    auto missing = checks.start(argv_command({"hpcexec-no-such-program"}));
    EXPECT_EQ(checks.run(missing->read_some()), "");
    EXPECT_EQ(checks.run(missing->wait()), 127);
    EXPECT_NE(missing->stderr_text().find("hpcexec-no-such-program: command not found"), std::string::npos)
        << missing->stderr_text();
    EXPECT_THROW(checks.run(missing->write("anything")), hpcexec::Error);
    missing->kill();

    CommandSpec elsewhere = shell_command("true");
    elsewhere.cwd = (scratch_ / "no such directory").string();
    auto nowhere = checks.start(elsewhere);
    EXPECT_EQ(checks.run(nowhere->wait()), 127);
    EXPECT_NE(nowhere->stderr_text().find("cannot change directory"), std::string::npos) << nowhere->stderr_text();
}

TEST_F(LocalProcessTest, WritingAfterCloseStdinIsAnError) {
    auto cat = checks.start("cat");
    checks.run(cat->close_stdin());
    checks.run(cat->close_stdin());  // twice is fine
    EXPECT_THROW(checks.run(cat->write("late")), hpcexec::Error);
    EXPECT_EQ(checks.run(cat->wait()), 0);
}

TEST_F(LocalProcessTest, ARunningProcessHoldsACommandSlot) {
    connector_ = create_connector(boost::json::object{{"max_concurrent_commands", 1}});
    RemoteProcessChecks{kernel_.loop(), *connector_, scratch_.string()}.holds_the_only_slot();
}
