// Running one command to completion and collecting everything it writes, with Boost.Asio on the event loop.
#include "process_runner.hpp"

#include "child_launch.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <string>
#include <utility>

#include <sys/types.h>

namespace hpcexec::local {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using namespace boost::asio::experimental::awaitable_operators;

// Reads `pipe` to its end into `output`.
asio::awaitable<void> read_to_end(asio::readable_pipe& pipe, std::string& output) {
    auto [error, size] = co_await asio::async_read(pipe, asio::dynamic_buffer(output), asio::as_tuple(asio::use_awaitable));
    if (error && error != asio::error::eof) throw boost::system::system_error(error, "reading a command's output");
}

// Writes `data` to the command's standard input, then closes it so that the command sees the end of its input.
// A command may exit, or close its input, without reading all of it: as in a shell pipeline, that is its business.
asio::awaitable<void> write_then_close(asio::writable_pipe& pipe, const std::string& data) {
    co_await write_to_child(pipe, data);
    pipe.close();
}

asio::awaitable<void> record_exit(bp::process& process, int& exit_status) {
    exit_status = co_await wait_for_exit(process);
}

// The time limit of one command: kills the command's whole process group when it expires.
struct Deadline {
    explicit Deadline(const asio::any_io_executor& executor) : timer(executor, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    // Set when the command finished in time: an expiry already on its way at that moment must not kill anything.
    bool called_off = false;

    void call_off() {
        called_off = true;
        timer.cancel();
    }

    // Waits for the expiry, then kills; returns early when called off. Collecting the output goes on after the kill
    // and ends when the killed processes' pipes close.
    asio::awaitable<void> enforce(pid_t process_group, bool& timed_out) {
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (called_off) co_return;
        timed_out = true;
        ::kill(-process_group, SIGKILL);
    }
};

// Collects everything the command writes, feeds its input and waits for its exit, all at once (the command may write
// both outputs while it reads its input), then calls off the deadline.
asio::awaitable<void> collect(bp::process& process, ChildPipes& pipes, const std::string& stdin_data, CommandResult& result,
                              Deadline& deadline) {
    co_await (read_to_end(pipes.out, result.stdout_data) && read_to_end(pipes.err, result.stderr_data) &&
              write_then_close(pipes.in, stdin_data) && record_exit(process, result.exit_status));
    deadline.call_off();
}

}  // namespace

asio::awaitable<CommandResult> run_process(CommandSpec spec, std::string shell) {
    const auto executor = co_await asio::this_coro::executor;
    LaunchedChild child = launch_child(spec, shell, executor);
    if (child.start_failure) co_return *child.start_failure;

    CommandResult result;
    Deadline deadline(executor);  // without a timeout it never expires
    if (spec.timeout) deadline.timer.expires_after(*spec.timeout);
    // The child called setsid(): its process id is also its process group's id.
    co_await (collect(child.process, child.pipes, spec.stdin_data, result, deadline) &&
              deadline.enforce(child.process.id(), result.timed_out));
    co_return result;
}

}  // namespace hpcexec::local
