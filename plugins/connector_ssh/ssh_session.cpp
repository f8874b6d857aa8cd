#include "ssh_session.hpp"

#include "ssh_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <cerrno>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace hpcexec::ssh {
namespace asio = boost::asio;

std::shared_ptr<SshSession> SshSession::create(const asio::any_io_executor& executor, int fd, std::string label,
                                               std::shared_ptr<void> transport) {
    return std::shared_ptr<SshSession>(new SshSession(executor, fd, std::move(label), std::move(transport)));
}

SshSession::SshSession(const asio::any_io_executor& executor, int fd, std::string label,
                       std::shared_ptr<void> transport)
    : executor_(executor),
      fd_(fd),
      label_(std::move(label)),
      transport_(std::move(transport)),
      watcher_(executor),
      wake_(executor),
      keepalive_timer_(executor) {
    ensure_libssh2_initialized();
    // The session's "abstract" pointer is this object: the socket callbacks find their session through it.
    session_ = libssh2_session_init_ex(nullptr, nullptr, nullptr, this);
    if (session_ == nullptr) {
        ::close(fd_);
        throw ConnectionError("cannot create an SSH session for " + label_ + " (libssh2 out of memory)");
    }
    libssh2_session_set_blocking(session_, 0);
    // Our own socket functions: the receive side counts bytes (see the class comment), the send side never raises
    // SIGPIPE in the host process when the server has gone.
    libssh2_session_callback_set(session_, LIBSSH2_CALLBACK_RECV,
                                 reinterpret_cast<void*>(&SshSession::receive_callback));
    libssh2_session_callback_set(session_, LIBSSH2_CALLBACK_SEND,
                                 reinterpret_cast<void*>(&SshSession::send_callback));
    watcher_.assign(fd_);
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    is_tcp_ = ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
              (address.ss_family == AF_INET || address.ss_family == AF_INET6);
}

SshSession::~SshSession() {
    // Everything that used the session is gone (they held shared_ptrs). Shut the socket first, so that the channel
    // closes libssh2 attempts while freeing fail at once instead of waiting; blocking mode makes free complete.
    if (!failed_) ::shutdown(fd_, SHUT_RDWR);
    libssh2_session_set_blocking(session_, 1);
    libssh2_session_free(session_);
    watcher_.release();
    ::close(fd_);
}

// sshd does not disable Nagle on non-interactive sessions: a small packet it sends while an earlier one is not yet
// acknowledged waits for our ACK, which Linux may delay up to 40 ms once it sees us answer soon after receiving
// ("pingpong" mode, entered again by every send). Asking for quick ACKs after every send and receive (the mode is
// not sticky) keeps request/answer exchanges free of such stalls. (On loopback what remains of a run("true") is
// almost all sshd's fork and the remote shell's start-up.)
static void acknowledge_quickly(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

ssize_t SshSession::receive_callback(libssh2_socket_t fd, void* buffer, size_t length, int flags, void** abstract) {
    auto* self = static_cast<SshSession*>(*abstract);
    ssize_t n = ::recv(fd, buffer, length, flags);
    if (n > 0) {
        if (self->is_tcp_) acknowledge_quickly(fd);
        self->bytes_received_ += static_cast<std::uint64_t>(n);
    } else if (n == 0) {
        self->peer_closed_ = true;
    } else {
        return -errno;  // libssh2's convention: a negative errno (-EAGAIN while nothing is there)
    }
    return n;
}

ssize_t SshSession::send_callback(libssh2_socket_t fd, const void* buffer, size_t length, int flags,
                                  void** abstract) {
    ssize_t n = ::send(fd, buffer, length, flags | MSG_NOSIGNAL);
    if (n < 0) return -errno;
    if (static_cast<SshSession*>(*abstract)->is_tcp_) acknowledge_quickly(fd);
    return n;
}

void SshSession::throw_if_failed() const {
    if (failed_) throw TransportBroken("the SSH connection to " + label_ + " was lost: " + failure_);
}

asio::awaitable<long> SshSession::call(std::function<long()> operation) {
    // Keep the session alive while this call waits, whatever the caller does with its own reference.
    auto self = shared_from_this();
    const std::uint64_t id = next_call_id_++;
    for (;;) {
        // Wait while another call owns the outgoing direction.
        while (!failed_ && outbound_owner_ != 0 && outbound_owner_ != id) {
            co_await wake_.wait();
            if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
                throw boost::system::system_error(asio::error::operation_aborted);
            }
        }
        throw_if_failed();

        const std::uint64_t received_before = bytes_received_;
        const bool closed_before = peer_closed_;
        long rc = operation();
        const bool progressed = bytes_received_ != received_before || peer_closed_ != closed_before;

        if (rc != LIBSSH2_ERROR_EAGAIN) {
            const bool was_owner = outbound_owner_ == id;
            if (was_owner) outbound_owner_ = 0;
            // Others may be waiting for what this call read, or for the direction this call gives back.
            if (progressed || was_owner) wake_.notify_all();
            if (is_transport_failure(static_cast<int>(rc))) {
                fail(last_error_text(session_, static_cast<int>(rc)));
                throw_if_failed();
            }
            co_return rc;
        }

        int directions = libssh2_session_block_directions(session_);
        if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) {
            outbound_owner_ = id;
        } else if (outbound_owner_ == id) {
            outbound_owner_ = 0;
            wake_.notify_all();
        }
        if (progressed) wake_.notify_all();
        if (peer_closed_) {
            fail("the server closed the connection");
            throw_if_failed();
        }
        co_await wait_for_socket(directions);
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
            // Only connection set-up is ever cancelled (its timeout); that session is thrown away, so leaving a
            // half-sent packet behind does no harm.
            if (outbound_owner_ == id) outbound_owner_ = 0;
            throw boost::system::system_error(asio::error::operation_aborted);
        }
    }
}

asio::awaitable<void> SshSession::wait_for_socket(int directions) {
    // No direction reported (libssh2 waits for something else to happen): waiting for input is always right.
    if (directions == 0) directions = LIBSSH2_SESSION_BLOCK_INBOUND;
    auto self = shared_from_this();
    // One socket wait per direction at a time, shared by all waiters: when it fires, everybody tries again.
    if ((directions & LIBSSH2_SESSION_BLOCK_INBOUND) && !read_armed_) {
        read_armed_ = true;
        watcher_.async_wait(asio::posix::stream_descriptor::wait_read, [self](boost::system::error_code) {
            self->read_armed_ = false;
            self->wake_.notify_all();
        });
    }
    if ((directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) && !write_armed_) {
        write_armed_ = true;
        watcher_.async_wait(asio::posix::stream_descriptor::wait_write, [self](boost::system::error_code) {
            self->write_armed_ = false;
            self->wake_.notify_all();
        });
    }
    co_await wake_.wait();
}

void SshSession::fail(const std::string& reason) {
    if (failed_) return;
    failed_ = true;
    failure_ = reason;
    // shutdown, not close: libssh2 still holds the descriptor number, which must not be reused by another open.
    ::shutdown(fd_, SHUT_RDWR);
    boost::system::error_code ignored;
    watcher_.cancel(ignored);
    keepalive_timer_.cancel();
    wake_.notify_all();
}

void SshSession::close(const std::string& reason) {
    if (failed_) return;
    // Only when no packet is half-sent; EAGAIN (would block) just means the server learns it from the socket.
    if (outbound_owner_ == 0) libssh2_session_disconnect(session_, "hpcexec closes the connection");
    fail(reason);
}

bool SshSession::peer_has_closed() const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if (p.revents & (POLLERR | POLLHUP)) return true;
    char byte;
    // Readable with nothing to read means end of stream.
    return ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

void SshSession::start_keepalive(std::chrono::milliseconds interval) {
    if (interval.count() <= 0) return;
    // libssh2 sends a keepalive from libssh2_keepalive_send only when its own interval (whole seconds) has passed
    // since the last one; 1 s lets the loop below decide. want_reply = 1: the answer is what proves the peer alive.
    libssh2_keepalive_config(session_, 1, 1);
    asio::co_spawn(executor_, keepalive_loop(interval), asio::detached);
}

asio::awaitable<void> SshSession::keepalive_loop(std::chrono::milliseconds interval) {
    auto self = shared_from_this();
    const auto tick = std::max(interval / 2, std::chrono::milliseconds(500));
    bool probe_outstanding = false;
    std::uint64_t received_at_probe = 0;
    int queued_at_probe = 0;
    auto queued_bytes = [this] {
        int n = 0;
        return ::ioctl(fd_, FIONREAD, &n) == 0 ? n : 0;
    };
    try {
        while (!failed_) {
            keepalive_timer_.expires_after(tick);
            co_await keepalive_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
            if (failed_) co_return;
            // Also a safety net: every waiter looks at the session again at least once per tick.
            wake_.notify_all();
            if (peer_has_closed()) {
                fail("the server closed the connection");
                co_return;
            }
            // Alive when anything arrived since the last probe: read by some call, or still waiting in the socket
            // (an idle session reads nothing, so the answer stays queued there).
            const int queued = queued_bytes();
            if (probe_outstanding && bytes_received_ == received_at_probe && queued <= queued_at_probe) {
                fail("the server did not answer keepalives for " + std::to_string(interval.count() / 1000.0) +
                     " s (keepalive_interval)");
                co_return;
            }
            int seconds_to_next = 0;
            co_await call([this, &seconds_to_next] {
                return static_cast<long>(libssh2_keepalive_send(session_, &seconds_to_next));
            });
            probe_outstanding = true;
            received_at_probe = bytes_received_;
            queued_at_probe = queued_bytes();
        }
    } catch (const std::exception&) {
        // The session failed; its users learn it from their own calls.
    }
}

}  // namespace hpcexec::ssh
