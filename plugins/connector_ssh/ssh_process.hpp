// SshProcess: a command running on the remote host with its standard streams open (Connector::start), on one exec
// channel of the endpoint's shared session.
#pragma once

#include "endpoint.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <vector>

namespace hpcexec::ssh {

/// A command started like run() starts one (the login shell runs the command line, with spec.cwd and spec.env), whose
/// standard input and output the caller uses through the channel's own I/O (ExecChannel), while a background
/// coroutine drains standard error and, once the server closes the channel, collects the exit status.
///
/// CHANNEL: one channel slot of the endpoint (max_channels) for the whole life of the process, until the server has
/// closed its channel and this object is gone.
/// KILL: kill() kills the remote process group with a second, short command on the same session (see
/// remote_process_group.hpp: libssh2 1.10 cannot send signals, and a closed channel alone kills nothing); the server
/// then reports the signal and wait() returns 128+9. That command's channel is not counted in max_channels: a kill
/// must never wait for a slot, and a pool of workers may hold all of them. If the server refuses it (max_channels set
/// to the server's MaxSessions), the process's channel is closed instead: the command gets end of file on its input
/// and a broken pipe on its output, which ends a worker that reads its requests, and wait() reports 128+9.
/// DESTRUCTION: kills the process group (unless the process has exited) and closes the channel. May run on any thread:
/// the work is handed to the event loop.
/// CONNECTION: when the connection breaks, every pending and later call throws ConnectionLost; the remote command
/// gets end of file on its input when sshd notices. (A command that reads no input then keeps running.)
/// THREAD: the methods on the event loop's thread.
class SshProcess final : public RemoteProcess {
public:
    /// Starts `spec`'s command (spec.timeout is ignored) and writes spec.stdin_data to it before returning. Throws
    /// like run() when the connection cannot be made or the server refuses the channel.
    static boost::asio::awaitable<std::unique_ptr<SshProcess>> start(std::shared_ptr<Endpoint> endpoint,
                                                                      CommandSpec spec);
    ~SshProcess() override;

    boost::asio::awaitable<void> write(std::string data) override;
    boost::asio::awaitable<std::string> read_some() override;
    boost::asio::awaitable<void> close_stdin() override;
    /// Returns when the server has closed the channel: the command has exited and its outputs are closed, so
    /// stderr_text() is complete.
    boost::asio::awaitable<int> wait() override;
    std::string stderr_text() const override;
    void kill() override;

private:
    struct State;  // shared with the background coroutines

    explicit SshProcess(std::shared_ptr<State> state);
    [[noreturn]] void throw_connection_lost(const std::string& why) const;

    std::shared_ptr<State> state_;
    // read_some() reads into this, then copies what came into the string it returns (libssh2 cannot tell in advance
    // how much is there).
    std::vector<char> read_buffer_;
};

}  // namespace hpcexec::ssh
