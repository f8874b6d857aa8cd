// SshSession: one libssh2 session, the socket it talks over, and the waiting for that socket on the event loop.
#pragma once

#include "coroutine_sync.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <libssh2.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace hpcexec::ssh {

/// One SSH connection (transport + authentication state), used by many coroutines at once.
///
/// NON-BLOCKING MODEL: libssh2 runs in non-blocking mode; every libssh2 call goes through call(), which retries it
/// until it stops returning LIBSSH2_ERROR_EAGAIN. Between tries the coroutine waits on the socket in the direction
/// libssh2 says it is blocked on (libssh2_session_block_directions). Two rules make many concurrent callers safe:
///  - Data for one channel is often read by a call made for another one (libssh2 reads whatever packet comes next
///    and files it away). So every call that received bytes wakes all waiters, which then try again; a caller only
///    sleeps after its own call drained the socket (EAGAIN on receive), so no wake-up can be lost.
///  - A packet that libssh2 could only partly send must be finished by the same call, with the same arguments,
///    before any other call sends. So the caller that got EAGAIN while blocked OUTBOUND owns the session's outgoing
///    direction until its call completes; all other callers wait for their turn.
/// The bytes received are counted by a receive callback installed on the session.
///
/// FAILURE: when the transport breaks (a socket error, the server closing, a keepalive left unanswered), the
/// session is marked failed once and for all: every waiting and every later call throws TransportBroken. A failed
/// session is never repaired; the Endpoint makes a new one.
///
/// OWNERSHIP: shared; every coroutine using it holds a shared_ptr, so the libssh2 session is freed (in the
/// destructor) only after the last user is gone. `transport` (a HopBridge for a session reached through a gateway)
/// is kept alive as long as the session.
/// THREAD: the event loop's thread only (the kernel's loop runs one thread).
class SshSession : public std::enable_shared_from_this<SshSession> {
public:
    /// Takes ownership of `fd`, a connected stream socket (TCP, or this session's end of a HopBridge socketpair).
    /// `label` names the target in messages ("user@host:port").
    static std::shared_ptr<SshSession> create(const boost::asio::any_io_executor& executor, int fd, std::string label,
                                              std::shared_ptr<void> transport);
    ~SshSession();
    SshSession(const SshSession&) = delete;
    SshSession& operator=(const SshSession&) = delete;

    LIBSSH2_SESSION* raw() const noexcept { return session_; }
    int socket_fd() const noexcept { return fd_; }
    const std::string& label() const noexcept { return label_; }
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

    /// Runs a libssh2 call returning an integer (0/positive = done, negative = libssh2 error) until it stops
    /// returning EAGAIN, and returns its result. A result that means the transport broke fails the session and
    /// throws TransportBroken; other errors are returned for the caller to interpret.
    boost::asio::awaitable<long> call(std::function<long()> operation);

    /// The same for the libssh2 calls that return a pointer (NULL with EAGAIN as the session's last errno while
    /// they would block). Returns the pointer, or nullptr with `error` set to the libssh2 error.
    template <class T>
    boost::asio::awaitable<T*> call_for_pointer(std::function<T*()> operation, int& error) {
        T* result = nullptr;
        error = static_cast<int>(co_await call([&]() -> long {
            result = operation();
            if (result != nullptr) return 0;
            int last = libssh2_session_last_errno(session_);
            return last == 0 ? LIBSSH2_ERROR_SOCKET_NONE : last;
        }));
        co_return result;
    }

    /// Marks the session failed with `reason` (first reason wins), shuts its socket down and wakes every waiter.
    void fail(const std::string& reason);
    bool failed() const noexcept { return failed_; }
    /// Why the session failed ("" while it has not).
    const std::string& failure() const noexcept { return failure_; }
    /// Throws TransportBroken if the session has failed.
    void throw_if_failed() const;

    /// Sends an SSH keepalive every `interval` / 2 and fails the session when the server has sent nothing for a
    /// whole `interval` after a keepalive (a dead peer or a cut link, which TCP alone notices only after minutes).
    void start_keepalive(std::chrono::milliseconds interval);

    /// Sends SSH_MSG_DISCONNECT if that can be done right now without waiting, then fails the session ("closed").
    void close(const std::string& reason);

    /// Total bytes received on the socket so far (by any call).
    std::uint64_t bytes_received() const noexcept { return bytes_received_; }

    /// Set only while a keyboard-interactive login runs: libssh2's prompt callback finds the password here (it
    /// gets nothing but the session's abstract pointer, which is this object).
    const std::string* keyboard_interactive_password = nullptr;

private:
    SshSession(const boost::asio::any_io_executor& executor, int fd, std::string label,
               std::shared_ptr<void> transport);
    boost::asio::awaitable<void> wait_for_socket(int directions);
    boost::asio::awaitable<void> keepalive_loop(std::chrono::milliseconds interval);
    bool peer_has_closed() const;
    static ssize_t receive_callback(libssh2_socket_t fd, void* buffer, size_t length, int flags, void** abstract);
    static ssize_t send_callback(libssh2_socket_t fd, const void* buffer, size_t length, int flags,
                                 void** abstract);

    boost::asio::any_io_executor executor_;
    int fd_;
    bool is_tcp_ = false;  // a TCP socket (not a HopBridge socketpair)
    std::string label_;
    std::shared_ptr<void> transport_;
    LIBSSH2_SESSION* session_ = nullptr;
    // Watches fd_ for readiness (the fd stays owned by this class: released before the descriptor is destroyed).
    boost::asio::posix::stream_descriptor watcher_;
    WakeSignal wake_;
    boost::asio::steady_timer keepalive_timer_;
    bool read_armed_ = false;
    bool write_armed_ = false;
    // The call that owns the outgoing direction (0: none); see the class comment.
    std::uint64_t outbound_owner_ = 0;
    std::uint64_t next_call_id_ = 1;
    std::uint64_t bytes_received_ = 0;
    bool peer_closed_ = false;
    bool failed_ = false;
    std::string failure_;
};

}  // namespace hpcexec::ssh
