// What every connector's Connector::start must do, written against the Connector interface so that the tests of the
// local and the SSH connector run the same checks. The commands run on this machine either way (the test cluster's
// login node is this machine), so the checks look at the processes directly through pid files.
#pragma once

#include "process_watch.hpp"

#include <hpcexec/connector.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/event_loop.hpp>
#include <hpcexec/shell.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <future>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace remote_process_checks {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;
using hpcexec::RemoteProcess;
using std::chrono::milliseconds;
using std::chrono::seconds;

/// `size` bytes of every value, zero included, different for each `seed`.
inline std::string message(std::size_t seed, std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((seed * 31 + i * 7 + i / 251) % 256);
    return data;
}

/// Reads standard output until `size` bytes came, or its end.
inline asio::awaitable<std::string> read_exactly(RemoteProcess& process, std::size_t size) {
    std::string data;
    data.reserve(size);
    while (data.size() < size) {
        std::string chunk = co_await process.read_some();
        if (chunk.empty()) break;
        data += chunk;
    }
    co_return data;
}

/// Reads standard output to its end.
inline asio::awaitable<std::string> read_to_end(RemoteProcess& process) {
    std::string data;
    for (;;) {
        std::string chunk = co_await process.read_some();
        if (chunk.empty()) co_return data;
        data += chunk;
    }
}

/// Writes `data` and reads as many bytes back, both at once: a message larger than the pipes and the SSH channel
/// window hold would block a writer that does not read meanwhile.
inline asio::awaitable<std::string> round_trip(RemoteProcess& process, std::string data) {
    const std::size_t size = data.size();
    co_return co_await (process.write(std::move(data)) && read_exactly(process, size));
}

/// Round trips of `count` small messages in sequence, each timed on the event loop, in microseconds, sorted.
inline asio::awaitable<std::vector<double>> round_trip_times(RemoteProcess& process, int count) {
    std::vector<double> micros;
    for (int i = 0; i < count; ++i) {
        std::string data = message(static_cast<std::size_t>(i), 64);
        const auto started = std::chrono::steady_clock::now();
        const std::string echoed = co_await round_trip(process, data);
        micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count());
        if (echoed != data) throw std::runtime_error("message " + std::to_string(i) + " came back altered");
    }
    std::sort(micros.begin(), micros.end());
    co_return micros;
}

/// Awaits `operation`, or throws when it takes longer than `limit` (a check that hangs must fail, not stall). Its
/// exception, if it throws, comes through (`||` would wait for the timer instead: it waits for one success).
template <class T> asio::awaitable<T> within(seconds limit, asio::awaitable<T> operation) {
    const auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor, limit);
    auto results = co_await asio::experimental::make_parallel_group(
                       asio::co_spawn(executor, std::move(operation), asio::deferred), timer.async_wait(asio::deferred))
                       .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    if (std::get<0>(results)[0] == 1) throw std::runtime_error("no answer within " + std::to_string(limit.count()) + " s");
    if (std::get<1>(results)) std::rethrow_exception(std::get<1>(results));
    if constexpr (!std::is_void_v<T>) co_return std::move(std::get<2>(results));
}

/// The checks, on one connector. `directory` is a scratch directory that the commands and this test both use.
class RemoteProcessChecks {
public:
    RemoteProcessChecks(hpcexec::EventLoop& loop, hpcexec::Connector& connector, std::string directory)
        : loop_(loop), connector_(connector), directory_(std::move(directory)) {}

    /// Awaits a coroutine on the connector's loop from this thread, for at most `limit`.
    template <class T> T run(asio::awaitable<T> operation, seconds limit = seconds(120)) {
        return loop_.sync_wait(within(limit, std::move(operation)));
    }

    std::unique_ptr<RemoteProcess> start(hpcexec::CommandSpec spec) { return run(connector_.start(std::move(spec))); }
    std::unique_ptr<RemoteProcess> start(std::string line) {
        hpcexec::CommandSpec spec;
        spec.command = std::move(line);
        return start(std::move(spec));
    }

    /// `cat` echoes many messages of binary data in sequence, then one of 10 MB, then ends at the end of its input.
    void echo_round_trips() {
        auto cat = start("cat");
        std::vector<std::string> messages{std::string(1, '\0'), std::string(3, '\0') + "x"};
        for (std::size_t i = 0; i < 100; ++i) messages.push_back(message(i, 1 + (i * 7919) % 100000));
        for (std::size_t i = 0; i < messages.size(); ++i) {
            const std::string echoed = run(round_trip(*cat, messages[i]));
            EXPECT_TRUE(echoed == messages[i]) << "message " << i << " of " << messages[i].size() << " bytes came back as "
                                               << echoed.size() << " bytes that differ";
        }
        const std::string big = message(1000, 10 * 1000 * 1000);
        const std::string echoed = run(round_trip(*cat, big));
        EXPECT_EQ(echoed.size(), big.size());
        EXPECT_TRUE(echoed == big) << "the 10 MB message came back altered";
        run(cat->close_stdin());
        EXPECT_EQ(run(cat->read_some()), "");
        EXPECT_EQ(run(cat->wait()), 0);
    }

    /// The working directory, the environment and spec.stdin_data (before anything written later) apply; argv runs
    /// without a shell.
    void spec_applies() {
        hpcexec::CommandSpec spec;
        spec.command = R"(printf '%s|' "$GREETING"; pwd; exec cat)";
        spec.cwd = directory_;
        spec.env = {{"GREETING", "it's $HOME"}};
        spec.stdin_data = std::string("first\0", 6);
        auto process = start(spec);
        run(process->write("second"));
        run(process->close_stdin());
        EXPECT_EQ(run(read_to_end(*process)), "it's $HOME|" + directory_ + "\n" + std::string("first\0", 6) + "second");
        EXPECT_EQ(run(process->wait()), 0);

        hpcexec::CommandSpec argv;
        argv.command = std::vector<std::string>{"printf", "[%s]", "$HOME", "a b"};
        auto literal = start(argv);
        EXPECT_EQ(run(read_to_end(*literal)), "[$HOME][a b]");
        EXPECT_EQ(run(literal->wait()), 0);
    }

    /// 5 MB on standard error, which the caller never reads, must not block the process: the echo that follows only
    /// comes back when all of it has been drained. The last 1 MiB of it is kept.
    void heavy_stderr_does_not_block() {
        auto process = start(R"(head -c 5000000 /dev/zero | tr '\0' e >&2; printf END >&2; exec cat)");
        EXPECT_EQ(run(round_trip(*process, "ping"), seconds(30)), "ping");
        run(process->close_stdin());
        EXPECT_EQ(run(process->wait()), 0);
        const std::string errors = process->stderr_text();  // complete: wait() has returned
        EXPECT_EQ(errors.size(), 1024u * 1024u);
        EXPECT_EQ(errors.substr(errors.size() - 3), "END");
        EXPECT_EQ(errors.find_first_not_of('e'), errors.size() - 3);
    }

    /// Closing standard input ends a process that reads it to its end; wait() returns its exit status. A process that
    /// has exited takes no more input.
    void exit_status_after_close_stdin() {
        auto process = start("cat >/dev/null; exit 7");
        run(process->write(message(1, 100000)));
        run(process->close_stdin());
        EXPECT_EQ(run(process->read_some()), "");
        EXPECT_EQ(run(process->wait()), 7);
        EXPECT_EQ(run(process->wait()), 7);  // asked again

        auto quitter = start("echo bye; exit 3");
        EXPECT_EQ(run(read_to_end(*quitter)), "bye\n");
        EXPECT_EQ(run(quitter->wait()), 3);
        EXPECT_THROW(run(quitter->write("too late")), hpcexec::Error);
        quitter->kill();  // nothing left to kill: no effect
        EXPECT_EQ(run(quitter->wait()), 3);
    }

    /// kill() ends the process and everything it started, at once; wait() reports the signal.
    void kill_ends_the_process_group() {
        auto process = start(group_of_sleepers());
        const auto [leader, grandchild] = pids_of_sleepers();
        ASSERT_NE(leader, 0);
        const auto killed_at = std::chrono::steady_clock::now();
        process->kill();
        process->kill();  // idempotent
        EXPECT_EQ(run(process->wait(), seconds(10)), 128 + 9);
        const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
        std::cout << "[ timing   ] kill() to wait() returning: " << took * 1000 << " ms" << std::endl;
        EXPECT_LT(took, 5.0);
        EXPECT_TRUE(process_watch::process_dies_within(leader, milliseconds(5000))) << "process " << leader;
        EXPECT_TRUE(process_watch::process_dies_within(grandchild, milliseconds(5000))) << "grandchild " << grandchild;
    }

    /// Destroying a RemoteProcess whose process runs kills it and what it started.
    void destroying_kills() {
        auto process = start(group_of_sleepers());
        const auto [leader, grandchild] = pids_of_sleepers();
        ASSERT_NE(leader, 0);
        process.reset();
        EXPECT_TRUE(process_watch::process_dies_within(leader, milliseconds(5000))) << "process " << leader;
        EXPECT_TRUE(process_watch::process_dies_within(grandchild, milliseconds(5000))) << "grandchild " << grandchild;
    }

    /// Two processes at once: used in turn, then both at the same time.
    void two_processes_at_once() {
        auto first = start("cat");
        hpcexec::CommandSpec argv;
        argv.command = std::vector<std::string>{"cat"};
        auto second = start(argv);
        for (int i = 0; i < 50; ++i) {
            EXPECT_EQ(run(round_trip(*first, "first " + std::to_string(i))), "first " + std::to_string(i));
            EXPECT_EQ(run(round_trip(*second, "second " + std::to_string(i))), "second " + std::to_string(i));
        }
        const std::string one = message(1, 3'000'000);
        const std::string two = message(2, 2'000'000);
        auto [echoed_one, echoed_two] = run(round_trip(*first, one) && round_trip(*second, two));
        EXPECT_TRUE(echoed_one == one);
        EXPECT_TRUE(echoed_two == two);
        run(first->close_stdin());
        EXPECT_EQ(run(first->wait()), 0);
        // The second one still works after the first one ended.
        EXPECT_EQ(run(round_trip(*second, "still there")), "still there");
        run(second->close_stdin());
        EXPECT_EQ(run(second->wait()), 0);
    }

    /// The median round trip of 1,000 small messages through `cat`, printed; only a generous sanity bound.
    void latency(const std::string& label) {
        auto cat = start("cat");
        const std::vector<double> micros = run(round_trip_times(*cat, 1000));
        const double median = micros[micros.size() / 2];
        std::cout << "[ latency  ] " << label << ": round trip of a 64-byte message through cat, median " << median
                  << " us, 90th percentile " << micros[micros.size() * 9 / 10] << " us, fastest " << micros.front()
                  << " us (" << micros.size() << " messages)" << std::endl;
        EXPECT_LT(median, 50'000.0);
        run(cat->close_stdin());
        EXPECT_EQ(run(cat->wait()), 0);
    }

    /// With the connector limited to one command at a time: a running process holds that one slot until it is
    /// destroyed, so run() waits for it.
    void holds_the_only_slot() {
        auto cat = start("cat");
        auto waiting = asio::co_spawn(loop_.context(), connector_.run(hpcexec::CommandSpec{"echo ran", "", {}, "", {}}),
                                      asio::use_future);
        EXPECT_EQ(waiting.wait_for(milliseconds(500)), std::future_status::timeout)
            << "run() did not wait for the slot the process holds";
        cat.reset();
        ASSERT_EQ(waiting.wait_for(seconds(10)), std::future_status::ready);
        EXPECT_EQ(waiting.get().stdout_data, "ran\n");
    }

private:
    std::string pid_file(const std::string& name) const { return directory_ + "/" + name + ".pid"; }

    // A process writing its pid, which starts a subshell that starts a sleeping grandchild (writing its pid too), then
    // becomes a `sleep 100` itself.
    std::string group_of_sleepers() const {
        return "(sleep 100 & echo $! > " + hpcexec::shell_quote(pid_file("grandchild")) + "; wait) & echo $$ > " +
               hpcexec::shell_quote(pid_file("leader")) + "; exec sleep 100";
    }

    std::pair<pid_t, pid_t> pids_of_sleepers() const {
        const auto leader = process_watch::pid_written_to(pid_file("leader"), milliseconds(10000));
        const auto grandchild = process_watch::pid_written_to(pid_file("grandchild"), milliseconds(10000));
        if (!leader || !grandchild) {
            ADD_FAILURE() << "the process did not write its pid files in " << directory_;
            return {0, 0};
        }
        EXPECT_TRUE(process_watch::process_is_running(*leader));
        EXPECT_TRUE(process_watch::process_is_running(*grandchild));
        return {*leader, *grandchild};
    }

    hpcexec::EventLoop& loop_;
    hpcexec::Connector& connector_;
    std::string directory_;
};

}  // namespace remote_process_checks
