// CommandServer: Connector::run through one persistent process on the target instead of an exec channel per command.
#pragma once

#include "endpoint.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace hpcexec::ssh {

/// An exec channel costs a fork of sshd's session and of the user's shell per command (~14 ms on loopback). The
/// command server is a small Python 3 program (command_server_source.hpp) started once per endpoint with
/// Connector::start (SshProcess, one channel). Each run sends it a request frame with the very command line the exec
/// path would send; it runs that line as `$SHELL -c <line>` (what sshd does) in a session of its own, and streams back
/// standard output and error in bounded frames, then the exit status. Requests run concurrently, told apart by id.
///
/// FALLBACK: run() returns nullopt when the command should go over an exec channel instead: the server cannot start
/// on this host (no such python, a handshake that fails; logged once at info level, and the server is not tried
/// again), or the request could not be handed to it (the connection or the server broke before it got the request;
/// the exec path then retries and reports as it always does).
/// FAILURES: a request handed over whose server then goes away throws ConnectionLost: naming the SSH connection when
/// the connection broke, naming the command server when only the server ended. The next run() starts a new server.
/// Never a result without the server's own report of the exit status.
/// TIMEOUT: the server sends SIGTERM to the command's process group at the limit and SIGKILL 2 s later (what the
/// exec path's `timeout -k 2` does; the line carries that wrapper too) and reports it timed out. If no report comes
/// 5 s after the limit, the result is timed_out with exit status 137, as on the exec path.
/// LIFETIME: owned by the Endpoint (Endpoint::command_server), stopped by Endpoint::shutdown(). When its channel
/// closes, the server kills the process groups of the commands still running and exits.
/// THREAD: the event loop's thread only.
class CommandServer : public std::enable_shared_from_this<CommandServer> {
public:
    /// The endpoint's server, made on first use with `python` as the interpreter (a later caller's `python` is
    /// ignored: one server per endpoint).
    static std::shared_ptr<CommandServer> of(Endpoint& endpoint, const std::string& python);

    CommandServer(Endpoint& endpoint, std::string python);
    ~CommandServer();
    CommandServer(const CommandServer&) = delete;
    CommandServer& operator=(const CommandServer&) = delete;

    /// Runs `command_line` (`shown`: the command, for messages) with `stdin_data` as its standard input. The result
    /// is timed_out with exit status 143 (128+SIGTERM) when the server killed it at the limit; nullopt: use an exec channel (see above).
    boost::asio::awaitable<std::optional<CommandResult>> run(std::string command_line, std::string shown,
                                                             std::string stdin_data,
                                                             std::optional<std::chrono::milliseconds> timeout);

    /// Fails the requests in progress (ConnectionError: the connector was closed) and lets the server go.
    void shutdown();

private:
    struct Instance;
    struct Request;

    boost::asio::awaitable<std::shared_ptr<Instance>> running_instance();
    boost::asio::awaitable<std::shared_ptr<Instance>> start_instance();
    boost::asio::awaitable<std::shared_ptr<Instance>> launch(std::shared_ptr<Endpoint> endpoint);
    static boost::asio::awaitable<void> read_answers(std::shared_ptr<CommandServer> self,
                                                     std::shared_ptr<Instance> instance);
    void give_up(const std::string& why);

    std::weak_ptr<Endpoint> endpoint_;
    std::string python_;
    std::shared_ptr<Instance> instance_;  // the running server, if any
    bool starting_ = false;
    bool unavailable_ = false;  // could not start on this host: exec channels from now on
    std::uint64_t next_id_ = 1;
    WakeSignal start_ended_;
};

}  // namespace hpcexec::ssh
