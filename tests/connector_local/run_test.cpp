// LocalConnector::run: commands, their streams, exit statuses, timeouts and concurrency.
#include "local_connector_fixture.hpp"

#include <hpcexec/shell.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iterator>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace local_test;
using hpcexec::CommandResult;
using hpcexec::CommandSpec;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

/// `text` repeated up to exactly `size` bytes.
std::string repeated(const std::string& text, std::size_t size) {
    std::string out;
    out.reserve(size + text.size());
    while (out.size() < size) out += text;
    out.resize(size);
    return out;
}

}  // namespace

TEST_F(LocalConnectorTest, ShellCommandCapturesBothOutputs) {
    CommandResult result = run_shell("echo out; echo err >&2");
    EXPECT_EQ(result.exit_status, 0);
    EXPECT_EQ(result.stdout_data, "out\n");
    EXPECT_EQ(result.stderr_data, "err\n");
    EXPECT_FALSE(result.timed_out);
    EXPECT_TRUE(result.ok());
}

TEST_F(LocalConnectorTest, ReportsTheExitStatus) {
    CommandResult result = run_shell("echo partial; exit 3");
    EXPECT_EQ(result.exit_status, 3);
    EXPECT_EQ(result.stdout_data, "partial\n");
    EXPECT_FALSE(result.ok());
}

TEST_F(LocalConnectorTest, ReportsDeathBySignalAs128PlusTheSignal) {
    CommandResult result = run_shell("kill -9 $$");
    EXPECT_EQ(result.exit_status, 128 + 9);
    EXPECT_FALSE(result.timed_out);
}

TEST_F(LocalConnectorTest, RunsArgvLiterallyWithoutAShell) {
    CommandResult result =
        run_argv({"printf", "[%s]", "a b", "'single'", "\"double\"", "$HOME", "`id`", "*", "new\nline", ""});
    EXPECT_EQ(result.exit_status, 0) << result.stderr_data;
    EXPECT_EQ(result.stdout_data, "[a b]['single'][\"double\"][$HOME][`id`][*][new\nline][]");
}

TEST_F(LocalConnectorTest, MissingProgramExitsWith127LikeAShell) {
    CommandResult by_name = run_argv({"hpcexec-no-such-program", "arg"});
    EXPECT_EQ(by_name.exit_status, 127);
    EXPECT_NE(by_name.stderr_data.find("hpcexec-no-such-program: command not found"), std::string::npos)
        << by_name.stderr_data;
    EXPECT_EQ(by_name.stdout_data, "");

    const std::string by_path = (scratch_ / "missing program").string();
    CommandResult missing_path = run_argv({by_path});
    EXPECT_EQ(missing_path.exit_status, 127);
    EXPECT_NE(missing_path.stderr_data.find("No such file or directory"), std::string::npos) << missing_path.stderr_data;
    EXPECT_NE(missing_path.stderr_data.find(by_path), std::string::npos) << missing_path.stderr_data;

    EXPECT_EQ(run_shell("hpcexec-no-such-program").exit_status, 127);
}

TEST_F(LocalConnectorTest, ProgramThatCannotBeExecutedExitsWith126) {
    const fs::path script = scratch_ / "not executable";
    write_whole_file(script, "#!/bin/sh\necho ran\n");
    fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write);
    CommandResult result = run_argv({script.string()});
    EXPECT_EQ(result.exit_status, 126);
    EXPECT_NE(result.stderr_data.find("Permission denied"), std::string::npos) << result.stderr_data;
    EXPECT_EQ(result.stdout_data, "");
}

TEST_F(LocalConnectorTest, FindsProgramsInTheCommandsOwnPath) {
    const fs::path tools = scratch_ / awkward_name;
    fs::create_directory(tools);
    write_whole_file(tools / "hpcexec-test-tool", "#!/bin/sh\necho \"found: $1\"\n");
    fs::permissions(tools / "hpcexec-test-tool", fs::perms::owner_all);

    EXPECT_EQ(run_argv({"hpcexec-test-tool", "x"}).exit_status, 127);
    CommandSpec spec = argv_command({"hpcexec-test-tool", "a b"});
    spec.env["PATH"] = tools.string() + ":" + std::getenv("PATH");
    CommandResult result = run(spec);
    EXPECT_EQ(result.exit_status, 0) << result.stderr_data;
    EXPECT_EQ(result.stdout_data, "found: a b\n");
}

namespace {

// A process other than this test program that runs the program's exit handlers (a child whose exec failed, if it left
// through exit() rather than _exit()) leaves a file named after this path.
std::string foreign_exit_marker;
const pid_t test_program_pid = ::getpid();

void mark_foreign_exit() {
    if (::getpid() != test_program_pid && !foreign_exit_marker.empty()) {
        ::close(::open((foreign_exit_marker + "." + std::to_string(::getpid())).c_str(), O_CREAT | O_WRONLY, 0600));
    }
}

// How many children of this program are zombies (exited, never waited for).
int zombie_children() {
    int zombies = 0;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;  // not a process
        const std::string stat = read_whole_file(entry.path() / "stat");
        const auto name_end = stat.rfind(')');
        char state = 0;
        int parent = 0;
        if (name_end != std::string::npos && std::sscanf(stat.c_str() + name_end + 1, " %c %d", &state, &parent) == 2 &&
            state == 'Z' && parent == test_program_pid) {
            ++zombies;
        }
    }
    return zombies;
}

}  // namespace

TEST_F(LocalConnectorTest, FailedExecDoesNotRunThisProgramsExitHandlersNorLeaveAZombie) {
    foreign_exit_marker = (scratch_ / "exit-handler-ran").string();
    static const bool registered = std::atexit(mark_foreign_exit) == 0;
    ASSERT_TRUE(registered);
    const fs::path garbage = scratch_ / "garbage";
    write_whole_file(garbage, std::string("\x7f" "ELF but not really", 20));
    fs::permissions(garbage, fs::perms::owner_all);
    CommandResult result = run_argv({garbage.string()});
    foreign_exit_marker.clear();
    EXPECT_EQ(result.exit_status, 126);
    EXPECT_NE(result.stderr_data.find("Exec format error"), std::string::npos) << result.stderr_data;
    EXPECT_EQ(std::distance(fs::directory_iterator(scratch_), fs::directory_iterator()), 1)
        << "the failed child ran this program's exit handlers";
    EXPECT_EQ(zombie_children(), 0);
}

TEST_F(LocalConnectorTest, RunningOutOfFileDescriptorsIsReportedAsAFailedStart) {
    ASSERT_TRUE(run_shell("true").ok());  // the event loop has made its own descriptors (epoll) by now
    // Allow no new descriptor but the lowest free one: creating the command's pipes fails.
    const int lowest_free = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(lowest_free, 0);
    ::close(lowest_free);
    struct LimitDescriptors {
        rlimit saved{};
        explicit LimitDescriptors(rlim_t limit) {
            ::getrlimit(RLIMIT_NOFILE, &saved);
            rlimit lowered = saved;
            lowered.rlim_cur = limit;
            ::setrlimit(RLIMIT_NOFILE, &lowered);
        }
        ~LimitDescriptors() { ::setrlimit(RLIMIT_NOFILE, &saved); }
    };
    CommandResult result;
    {
        LimitDescriptors limit(static_cast<rlim_t>(lowest_free) + 1);
        result = run_shell("echo should not run");
    }
    EXPECT_EQ(result.exit_status, 126);
    EXPECT_NE(result.stderr_data.find("Too many open files"), std::string::npos) << result.stderr_data;
    EXPECT_EQ(result.stdout_data, "");
    EXPECT_TRUE(run_shell("true").ok());  // and all is well again
}

TEST_F(LocalConnectorTest, RequestsThatCanNeverRunThrow) {
    EXPECT_THROW(run_argv({}), hpcexec::Error);
    EXPECT_THROW(run_argv({"echo", std::string("zero\0byte", 10)}), hpcexec::Error);
    CommandSpec bad_name = shell_command("true");
    bad_name.env["A=B"] = "x";
    EXPECT_THROW(run(bad_name), hpcexec::Error);
    // The connector is still fine afterwards.
    EXPECT_TRUE(run_shell("true").ok());
}

TEST_F(LocalConnectorTest, WorkingDirectoryIsTakenLiterally) {
    const fs::path directory = scratch_ / awkward_name;
    fs::create_directory(directory);
    const std::string expected = fs::canonical(directory).string() + "\n";

    CommandSpec argv_spec = argv_command({"pwd", "-P"});
    argv_spec.cwd = directory.string();
    CommandResult by_argv = run(argv_spec);
    EXPECT_EQ(by_argv.exit_status, 0) << by_argv.stderr_data;
    EXPECT_EQ(by_argv.stdout_data, expected);

    CommandSpec shell_spec = shell_command("pwd -P");
    shell_spec.cwd = directory.string();
    CommandResult by_shell = run(shell_spec);
    EXPECT_EQ(by_shell.exit_status, 0) << by_shell.stderr_data;
    EXPECT_EQ(by_shell.stdout_data, expected);
}

TEST_F(LocalConnectorTest, UnusableWorkingDirectoryIsReportedLikeAShell) {
    const fs::path missing = scratch_ / ("missing " + awkward_name);
    CommandSpec spec = shell_command("echo should not run");
    spec.cwd = missing.string();
    CommandResult result = run(spec);
    EXPECT_EQ(result.exit_status, 127);
    EXPECT_EQ(result.stdout_data, "");
    EXPECT_NE(result.stderr_data.find("cannot change directory to " + hpcexec::shell_quote(missing.string()) +
                                      ": No such file or directory"),
              std::string::npos)
        << result.stderr_data;

    const fs::path file = scratch_ / "a file";
    write_whole_file(file, "");
    spec.cwd = file.string();
    CommandResult not_a_directory = run(spec);
    EXPECT_EQ(not_a_directory.exit_status, 126);
    EXPECT_NE(not_a_directory.stderr_data.find("Not a directory"), std::string::npos) << not_a_directory.stderr_data;
}

TEST_F(LocalConnectorTest, EnvironmentIsAddedToTheInheritedOne) {
    CommandSpec spec = shell_command(R"(printf '%s|%s|%s' "$HPCEXEC_TEST_VALUE" "$HOME" "$PATH")");
    spec.env["HPCEXEC_TEST_VALUE"] = awkward_name;
    spec.env["HOME"] = "/elsewhere";
    CommandResult result = run(spec);
    EXPECT_EQ(result.exit_status, 0) << result.stderr_data;
    EXPECT_EQ(result.stdout_data, awkward_name + "|/elsewhere|" + std::getenv("PATH"));
}

TEST_F(LocalConnectorTest, StandardInputIsBinarySafe) {
    const std::string data = binary_data(256 * 1024);
    CommandSpec spec = argv_command({"cat"});
    spec.stdin_data = data;
    CommandResult result = run(spec);
    EXPECT_EQ(result.exit_status, 0) << result.stderr_data;
    EXPECT_EQ(result.stdout_data.size(), data.size());
    EXPECT_TRUE(result.stdout_data == data);
}

TEST_F(LocalConnectorTest, LargeInputAndOutputAtOnceDoNotDeadlock) {
    // `cat` writes back while it is still being fed: far more than pipe buffers hold in both directions.
    const std::string data = binary_data(32 * 1024 * 1024);
    CommandSpec spec = shell_command("cat");
    spec.stdin_data = data;
    spec.timeout = std::chrono::seconds(60);
    CommandResult result = run(spec);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_status, 0) << result.stderr_data;
    EXPECT_EQ(result.stdout_data.size(), data.size());
    EXPECT_TRUE(result.stdout_data == data);
}

TEST_F(LocalConnectorTest, EmptyInputIsClosedAtOnce) {
    CommandSpec spec = argv_command({"cat"});
    spec.timeout = std::chrono::seconds(10);
    CommandResult result = run(spec);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_status, 0);
    EXPECT_EQ(result.stdout_data, "");
}

TEST_F(LocalConnectorTest, CommandThatIgnoresItsInputStillSucceeds) {
    // Writing to a pipe nobody reads raises SIGPIPE: the connector must survive it (so must this test program).
    const std::string data = binary_data(8 * 1024 * 1024);
    for (int i = 0; i < 3; ++i) {
        CommandSpec spec = shell_command("exit 0");
        spec.stdin_data = data;
        CommandResult result = run(spec);
        EXPECT_EQ(result.exit_status, 0);
    }
}

TEST_F(LocalConnectorTest, CommandsStartWithDefaultSignalHandling) {
    // Hosts such as Python ignore SIGPIPE, and the connector blocks it on the event loop thread; neither may reach
    // the command. (Read by a program exec'd directly: a shell would reset some of it itself.)
    struct RestoreSigpipe {
        void (*previous)(int) = std::signal(SIGPIPE, SIG_IGN);
        ~RestoreSigpipe() { std::signal(SIGPIPE, previous); }
    } ignore_sigpipe_here;
    CommandResult result = run_argv({"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"});
    ASSERT_EQ(result.exit_status, 0) << result.stderr_data;
    unsigned long long blocked = 0;
    unsigned long long ignored = 0;
    ASSERT_EQ(std::sscanf(result.stdout_data.c_str(), "SigBlk: %llx SigIgn: %llx", &blocked, &ignored), 2)
        << result.stdout_data;
    EXPECT_EQ(blocked, 0u) << result.stdout_data;
    EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << result.stdout_data;
}

TEST_F(LocalConnectorTest, FiftyMegabytesOnBothOutputsAtOnce) {
    constexpr std::size_t size = 50 * 1024 * 1024;
    // Both writers run at once, and each holds the other's stream open: reading one stream to its end before the
    // other would deadlock.
    CommandSpec spec = shell_command("(yes stdout-line | head -c " + std::to_string(size) +
                                     ") & (yes stderr-line | head -c " + std::to_string(size) + " >&2); wait");
    spec.timeout = std::chrono::seconds(60);
    CommandResult result = run(spec);
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.exit_status, 0);
    EXPECT_EQ(result.stdout_data.size(), size);
    EXPECT_EQ(result.stderr_data.size(), size);
    EXPECT_TRUE(result.stdout_data == repeated("stdout-line\n", size));
    EXPECT_TRUE(result.stderr_data == repeated("stderr-line\n", size));
}

namespace {

// After a command that started a background grandchild (which wrote its pid to `pid_file`) ran into its 500 ms
// timeout: the call returned soon after the timeout, and the grandchild is dead.
void expect_timeout_killed_grandchild(const CommandResult& result, steady_clock::duration elapsed,
                                      const fs::path& pid_file) {
    EXPECT_TRUE(result.timed_out);
    EXPECT_FALSE(result.ok());
    EXPECT_GE(elapsed, milliseconds(500));
    EXPECT_LT(elapsed, milliseconds(1500));
    const std::string pid_text = read_whole_file(pid_file);
    ASSERT_FALSE(pid_text.empty()) << "the grandchild did not write its pid";
    const pid_t grandchild = std::stoi(pid_text);
    EXPECT_TRUE(process_dies_within(grandchild, milliseconds(2000))) << "grandchild " << grandchild << " survived";
}

}  // namespace

TEST_F(LocalConnectorTest, TimeoutKillsTheWholeProcessGroup) {
    const fs::path pid_file = scratch_ / ("grandchild " + awkward_name);
    CommandSpec spec = shell_command(R"(sleep 100 & echo $! > "$PID_FILE"; sleep 100; wait)");
    spec.env["PID_FILE"] = pid_file.string();
    spec.timeout = milliseconds(500);
    const auto started = steady_clock::now();
    CommandResult result = run(spec);
    const auto elapsed = steady_clock::now() - started;
    EXPECT_EQ(result.exit_status, 128 + 9);
    expect_timeout_killed_grandchild(result, elapsed, pid_file);
}

TEST_F(LocalConnectorTest, TimeoutKillsWhatAnExitedCommandLeftRunning) {
    // The shell exits at once, but its background child keeps the output open (and the call waiting) until killed.
    const fs::path pid_file = scratch_ / "grandchild.pid";
    CommandSpec spec = shell_command(R"(sleep 100 & echo $! > "$PID_FILE")");
    spec.env["PID_FILE"] = pid_file.string();
    spec.timeout = milliseconds(500);
    const auto started = steady_clock::now();
    CommandResult result = run(spec);
    const auto elapsed = steady_clock::now() - started;
    EXPECT_EQ(result.exit_status, 0);
    expect_timeout_killed_grandchild(result, elapsed, pid_file);
}

TEST_F(LocalConnectorTest, TimeoutThatDoesNotExpireDoesNotDelay) {
    CommandSpec spec = shell_command("echo quick");
    spec.timeout = std::chrono::seconds(30);
    const auto started = steady_clock::now();
    CommandResult result = run(spec);
    EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(5));
    EXPECT_FALSE(result.timed_out);
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.stdout_data, "quick\n");
}

TEST_F(LocalConnectorTest, HundredCommandsRunConcurrently) {
    constexpr int count = 100;
    std::vector<std::future<CommandResult>> results;
    const auto started = steady_clock::now();
    for (int i = 0; i < count; ++i) {
        CommandSpec spec;
        // Half through the shell, half as argv; each sleeps a second, so one after the other would take 100 s.
        if (i % 2 == 0) {
            spec.command = std::string(R"(sleep 1; echo "out $N"; echo "err $N" >&2; exit $((N % 7)))");
            spec.env["N"] = std::to_string(i);
        } else {
            spec.command = std::vector<std::string>{
                "sh", "-c", R"(sleep 1; echo "out $1"; echo "err $1" >&2; exit $(($1 % 7)))", "sh", std::to_string(i)};
        }
        results.push_back(boost::asio::co_spawn(kernel_.loop().executor(), connector_->run(std::move(spec)),
                                                boost::asio::use_future));
    }
    for (int i = 0; i < count; ++i) {
        CommandResult result = results[static_cast<std::size_t>(i)].get();
        EXPECT_EQ(result.exit_status, i % 7) << "command " << i << ": " << result.stderr_data;
        EXPECT_EQ(result.stdout_data, "out " + std::to_string(i) + "\n");
        EXPECT_EQ(result.stderr_data, "err " + std::to_string(i) + "\n");
    }
    EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(30));
}
