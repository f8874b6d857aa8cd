#include "command_runner.hpp"

#include "command_server.hpp"
#include "coroutine_sync.hpp"
#include "exec_channel.hpp"
#include "ssh_support.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <cstdio>
#include <variant>

namespace hpcexec::ssh {
namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// GNU timeout's exit status when it killed the command.
constexpr int timeout_exit_status = 124;
// How long after the time limit the target may take to report the kill before the channel is dropped here.
constexpr std::chrono::seconds timeout_grace{5};

std::string timeout_argument(std::chrono::milliseconds limit) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f", static_cast<double>(limit.count()) / 1000.0);
    return buffer;
}

// Writes stdin then closes it, while both output streams are read to their ends.
asio::awaitable<void> exchange(ExecChannel& channel, const std::string& stdin_data, CommandResult& result) {
    auto feed = [&]() -> asio::awaitable<void> {
        co_await channel.write_all(stdin_data);
        co_await channel.send_eof();
    };
    co_await all_of(feed() && channel.read_all(0, result.stdout_data) &&
                    channel.read_all(SSH_EXTENDED_DATA_STDERR, result.stderr_data));
}

}  // namespace

std::string command_text(const CommandSpec& spec) {
    if (const auto* line = std::get_if<std::string>(&spec.command)) return *line;
    const auto& argv = std::get<std::vector<std::string>>(spec.command);
    if (argv.empty()) throw Error("cannot run a command with an empty argv");
    return shell_join(argv);
}

asio::awaitable<StartedCommand> start_command(const std::shared_ptr<Endpoint>& endpoint,
                                              const std::string& command_line) {
    for (int attempt = 1;; ++attempt) {
        auto lease = co_await endpoint->channel();
        try {
            auto channel = co_await ExecChannel::start(lease.session, command_line);
            co_return StartedCommand{std::move(lease), std::move(channel)};
        } catch (const TransportBroken&) {
            if (attempt >= 2) throw;
            // not started: try once more on a new connection
        }
    }
}

asio::awaitable<CommandResult> complete_command(ExecChannel& channel, const std::string& stdin_data) {
    CommandResult result;
    co_await exchange(channel, stdin_data, result);
    result.exit_status = co_await channel.wait_exit();
    co_return result;
}

ConnectionLost lost_while_running(const Endpoint& endpoint, const std::string& command, const std::string& why) {
    return ConnectionLost("the SSH connection to " + endpoint.description() + " broke while `" + command +
                          "` was running; whether it finished is unknown (" + why + ")");
}

asio::awaitable<CommandResult> run_helper(const std::shared_ptr<Endpoint>& endpoint, const std::string& command_line,
                                          std::string stdin_data) {
    auto lease = co_await endpoint->channel();
    auto channel = co_await ExecChannel::start(lease.session, command_line);
    co_return co_await complete_command(*channel, stdin_data);
}

namespace {

// The exec path: `command_line` on a channel of its own.
asio::awaitable<CommandResult> run_on_channel(std::shared_ptr<Endpoint> endpoint, const std::string& command_line,
                                              const std::string& shown, const CommandSpec& spec) {
    StartedCommand command = co_await start_command(endpoint, command_line);
    ExecChannel& channel = *command.channel;

    // From here on the command may be running: a broken link is ConnectionLost, never a result.
    CommandResult result;
    std::string lost;
    try {
        if (spec.timeout) {
            asio::steady_timer backstop(co_await asio::this_coro::executor);
            backstop.expires_after(*spec.timeout + timeout_grace);
            auto finished = co_await (exchange(channel, spec.stdin_data, result) ||
                                      backstop.async_wait(asio::use_awaitable));
            if (finished.index() == 1) {
                // The target did not end the command: give up on the channel (its destructor closes it).
                result.timed_out = true;
                result.exit_status = 128 + SIGKILL;
                co_return result;
            }
            result.exit_status = co_await channel.wait_exit();
        } else {
            result = co_await complete_command(channel, spec.stdin_data);
        }
    } catch (const TransportBroken& e) {
        lost = e.what();
    }
    if (!lost.empty()) throw lost_while_running(*endpoint, shown, lost);
    co_return result;
}

}  // namespace

asio::awaitable<CommandResult> run_command(std::shared_ptr<Endpoint> endpoint, CommandSpec spec,
                                           const std::optional<std::string>& command_server_python) {
    const std::string shown = command_text(spec);
    // The same line either way: the command server runs it as sshd would.
    std::string command_line = shell_command_line(shown, spec.cwd, spec.env);
    if (spec.timeout) {
        command_line = "exec timeout -k 2 " + timeout_argument(*spec.timeout) + " /bin/sh -c " +
                       shell_quote(command_line);
    }
    const auto started = std::chrono::steady_clock::now();
    std::optional<CommandResult> result;
    // The server holds a channel slot for good: with a single slot, file operations would wait for it forever.
    if (command_server_python && endpoint->settings().max_channels >= 2) {
        auto server = CommandServer::of(*endpoint, *command_server_python);
        result = co_await server->run(command_line, shown, spec.stdin_data, spec.timeout);
    }
    if (!result) result = co_await run_on_channel(endpoint, command_line, shown, spec);
    if (spec.timeout && !result->timed_out && result->exit_status == timeout_exit_status &&
        std::chrono::steady_clock::now() - started >= *spec.timeout) {
        result->timed_out = true;
        result->exit_status = 128 + SIGTERM;
    }
    co_return std::move(*result);
}

}  // namespace hpcexec::ssh
