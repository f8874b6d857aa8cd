// ExecChannel: one remote command on an SSH `session` channel, with its three standard streams.
#pragma once

#include "ssh_session.hpp"

#include <boost/asio/awaitable.hpp>

#include <libssh2.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace hpcexec::ssh {

/// Opens a channel, runs one command line on it (sshd hands it to the user's login shell), and gives access to
/// its standard input, output and error. The streams may be used concurrently from different coroutines (one
/// writer, one reader per output stream): each libssh2 call is atomic on the single-threaded loop.
///
/// OWNERSHIP: holds the session. The destructor frees the channel: at once when the session has failed, else in
/// a detached coroutine that first closes it properly (closing waits for the server's reply).
/// THREAD: the event loop's thread only.
class ExecChannel {
public:
    /// Opens the channel and starts `command_line`. Throws TransportBroken when the connection is gone (the
    /// command was not started) and ConnectionError when the server refuses the channel or the command.
    static boost::asio::awaitable<std::unique_ptr<ExecChannel>> start(std::shared_ptr<SshSession> session,
                                                                      const std::string& command_line);
    ~ExecChannel();
    ExecChannel(const ExecChannel&) = delete;
    ExecChannel& operator=(const ExecChannel&) = delete;

    /// Writes all of `data` to the command's standard input. Returns false when the channel refused the rest
    /// (standard input closed, or the channel closed): like a local pipe whose reader went away, not an error of the
    /// transfer itself (the exit status tells).
    boost::asio::awaitable<bool> write_all(std::string_view data);
    /// Closes the command's standard input.
    boost::asio::awaitable<void> send_eof();
    /// Closes the channel from this side: the server closes its side too (the command's pipes with it, whether or
    /// not it still runs) and reads then return the end of stream.
    boost::asio::awaitable<void> close();
    /// Reads what is available of standard output (`stream` 0) or standard error (SSH_EXTENDED_DATA_STDERR),
    /// waiting for at least one byte; returns 0 at the end of the stream.
    boost::asio::awaitable<std::size_t> read(int stream, char* buffer, std::size_t size);
    /// Reads a stream to its end, handing every chunk to `sink` as it comes.
    boost::asio::awaitable<void> read_to_end(int stream, const std::function<void(std::string_view)>& sink);
    /// Reads a stream to its end into `out`.
    boost::asio::awaitable<void> read_all(int stream, std::string& out);
    /// Waits until the server closed the channel and returns the command's exit status (128+N when it was killed
    /// by signal N). Call after the server's end of stream (both output streams reached their end, or either one
    /// while the other is left unread). The server closes the channel itself once the command has exited: closing
    /// it from here first would let a command that is still running (outputs closed, or exit status not reported
    /// yet) look like one that exited with 0.
    boost::asio::awaitable<int> wait_exit();

    SshSession& session() noexcept { return *session_; }

private:
    ExecChannel(std::shared_ptr<SshSession> session, LIBSSH2_CHANNEL* channel);
    std::shared_ptr<SshSession> session_;
    LIBSSH2_CHANNEL* channel_;
};

/// The number of a signal named as SSH names them ("TERM", "KILL"...); 0 when unknown.
int signal_number(std::string_view name);

}  // namespace hpcexec::ssh
