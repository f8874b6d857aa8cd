// Running commands on an Endpoint: the connector's run(), and the helper commands of its file operations.
#pragma once

#include "endpoint.hpp"
#include "exec_channel.hpp"

#include <hpcexec/connector.hpp>
#include <hpcexec/errors.hpp>

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace hpcexec::ssh {

/// Connector::run: runs `spec` on one channel. Standard input is written and closed while standard output and
/// error are read, all at once, so no amount of output in any order can block.
///
/// TIMEOUT: with spec.timeout, the command runs under `timeout` (coreutils/busybox) on the target. `timeout` puts
/// the command into a process group of its own and, when the time is up, sends SIGTERM to the whole group (its
/// children and grandchildren too) and SIGKILL 2 s later. libssh2 1.10 cannot send SSH signals, and closing the
/// channel alone leaves the remote processes running; the group kill is the reliable way. The result is then
/// timed_out with exit status 143 (128+SIGTERM). If the target does not answer 5 s after the limit either, the
/// channel is dropped here and the result is timed_out with exit status 137.
/// CONNECTION: a channel that cannot be opened because the connection broke (the command did not start) is tried
/// once more on a new connection; a connection that breaks while the command runs throws ConnectionLost (the
/// command's fate is unknown; never reported as a result).
/// COMMAND SERVER: with `command_server_python`, the same command line goes through the endpoint's CommandServer
/// instead (same semantics, no channel per command), and over a channel when the server is unavailable.
boost::asio::awaitable<CommandResult> run_command(std::shared_ptr<Endpoint> endpoint, CommandSpec spec,
                                                  const std::optional<std::string>& command_server_python);

/// The text of `spec`'s command as the remote shell gets it: the command line itself, or the argv quoted word by word
/// and joined (so that no argument is ever interpreted). Throws Error for an empty argv.
std::string command_text(const CommandSpec& spec);

/// A command started on a channel of its own, and the channel slot it holds.
struct StartedCommand {
    Endpoint::ChannelLease lease;
    std::unique_ptr<ExecChannel> channel;
};

/// Takes a channel slot and starts `command_line` on a new channel. A channel that cannot be opened because the
/// connection broke (so the command did not start) is tried once more on a new connection.
boost::asio::awaitable<StartedCommand> start_command(const std::shared_ptr<Endpoint>& endpoint,
                                                     const std::string& command_line);

/// Writes `stdin_data` and closes standard input while both outputs are read to their ends, all at once (so no
/// amount of output in any order can block), then waits for the exit status.
boost::asio::awaitable<CommandResult> complete_command(ExecChannel& channel, const std::string& stdin_data);

/// The error for a command (`command`: its text) whose connection broke while it ran, `why` being the cause.
ConnectionLost lost_while_running(const Endpoint& endpoint, const std::string& command, const std::string& why);

/// Runs a command line made by the connector itself (quoting done by the caller), giving it `stdin_data`.
/// A broken connection throws TransportBroken, whenever it happens: callers retry whole idempotent operations.
boost::asio::awaitable<CommandResult> run_helper(const std::shared_ptr<Endpoint>& endpoint,
                                                 const std::string& command_line, std::string stdin_data = {});

/// Runs `operation` and, if the connection broke under it (TransportBroken), once more on a new connection.
/// For operations that may safely be repeated (reads; writes to a temporary name; mkdir -p; rm -f).
template <class T>
boost::asio::awaitable<T> retry_if_link_broke(const std::function<boost::asio::awaitable<T>()>& operation);

}  // namespace hpcexec::ssh

#include "ssh_support.hpp"

namespace hpcexec::ssh {

template <class T>
boost::asio::awaitable<T> retry_if_link_broke(const std::function<boost::asio::awaitable<T>()>& operation) {
    for (int attempt = 1;; ++attempt) {
        try {
            co_return co_await operation();
        } catch (const TransportBroken&) {
            if (attempt >= 2) throw;
        }
    }
}

template <>
inline boost::asio::awaitable<void> retry_if_link_broke<void>(
    const std::function<boost::asio::awaitable<void>()>& operation) {
    for (int attempt = 1;; ++attempt) {
        try {
            co_await operation();
            co_return;
        } catch (const TransportBroken&) {
            if (attempt >= 2) throw;
        }
    }
}

}  // namespace hpcexec::ssh
