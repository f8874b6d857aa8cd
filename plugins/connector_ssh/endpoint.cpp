#include "endpoint.hpp"

#include "command_server.hpp"
#include "hop_bridge.hpp"
#include "host_key_verifier.hpp"
#include "session_pool.hpp"
#include "ssh_support.hpp"
#include "user_auth.hpp"

#include <hpcexec/errors.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>

#include <unistd.h>

namespace hpcexec::ssh {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Reconnection: attempts, first delay and cap of the exponential backoff.
constexpr int reconnect_attempts = 5;
constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{2000};

std::string seconds_text(std::chrono::milliseconds duration) {
    double seconds = static_cast<double>(duration.count()) / 1000.0;
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%g s", seconds);
    return buffer;
}

// What an SshSession holds besides its socket: the bridge its socket comes from, and the endpoint's lifeline.
struct SessionTransport {
    std::shared_ptr<HopBridge> bridge;
    std::shared_ptr<Lifeline> lifeline;
};

}  // namespace

// One connection attempt, so that its timeout and shutdown() can abort it wherever it waits.
struct Endpoint::Attempt {
    std::optional<tcp::socket> socket;
    std::shared_ptr<SshSession> session;
    bool aborted = false;
    std::string why;

    void abort(const std::string& reason) {
        if (aborted) return;
        aborted = true;
        why = reason;
        if (socket) {
            boost::system::error_code ignored;
            socket->close(ignored);
        }
        if (session) session->fail(reason);
    }
};

Endpoint::Slot& Endpoint::Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        if (owner_) owner_->release_slot();
        owner_ = std::move(other.owner_);
    }
    return *this;
}

Endpoint::Slot::~Slot() {
    if (owner_) owner_->release_slot();
}

Endpoint::Endpoint(asio::any_io_executor executor, HopSettings hop, std::shared_ptr<Endpoint> gateway,
                   std::shared_ptr<spdlog::logger> logger, std::shared_ptr<Lifeline> lifeline)
    : executor_(std::move(executor)),
      hop_(std::move(hop)),
      gateway_(std::move(gateway)),
      logger_(std::move(logger)),
      lifeline_(std::move(lifeline)),
      state_changed_(executor_),
      backoff_timer_(executor_),
      random_(std::random_device{}()) {}

Endpoint::~Endpoint() = default;

std::string Endpoint::description() const {
    std::string text = hop_.label();
    for (const Endpoint* g = gateway_.get(); g != nullptr; g = g->gateway_.get()) text += " via " + g->hop_.label();
    return text;
}

void Endpoint::throw_if_shut_down() const {
    if (shut_down_) throw ConnectionError("the SSH connector for " + description() + " was closed");
}

asio::awaitable<std::shared_ptr<SshSession>> Endpoint::session() {
    auto self = shared_from_this();
    for (;;) {
        throw_if_shut_down();
        if (session_ && !session_->failed()) co_return session_;
        if (connecting_) {
            // Someone else is connecting: share that attempt's outcome.
            const std::uint64_t finished_before = attempts_finished_;
            while (connecting_ && !shut_down_) co_await state_changed_.wait();
            if (attempts_finished_ != finished_before && last_connect_error_) {
                std::rethrow_exception(last_connect_error_);
            }
            continue;
        }
        connecting_ = true;
        const bool reconnecting = ever_connected_;
        if (reconnecting && session_) {
            logger_->info("SSH connection to {} lost ({}); reconnecting", description(), session_->failure());
        }
        session_.reset();
        std::exception_ptr error;
        try {
            session_ = co_await connect_with_backoff(reconnecting);
            ever_connected_ = true;
        } catch (...) {
            error = std::current_exception();
        }
        last_connect_error_ = error;
        connecting_ = false;
        ++attempts_finished_;
        state_changed_.notify_all();
        if (error) std::rethrow_exception(error);
        logger_->debug("SSH session to {} established", description());
    }
}

asio::awaitable<std::shared_ptr<SshSession>> Endpoint::connect_with_backoff(bool reconnecting) {
    const int attempts = reconnecting ? reconnect_attempts : 1;
    for (int attempt = 1;; ++attempt) {
        try {
            co_return co_await connect_once();
        } catch (const TransientConnectError& e) {
            if (attempt >= attempts || shut_down_) throw;
            logger_->info("{} (attempt {} of {}); trying again", e.what(), attempt, attempts);
        }
        // Exponential backoff with jitter (a random part of the delay), so that many clients do not retry in step.
        auto delay = std::min(max_backoff, first_backoff * static_cast<int>(std::pow(3, attempt - 1)));
        std::uniform_int_distribution<long> jitter(delay.count() / 2, delay.count());
        backoff_timer_.expires_after(std::chrono::milliseconds(jitter(random_)));
        co_await backoff_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        throw_if_shut_down();
    }
}

asio::awaitable<int> Endpoint::open_transport(Attempt& attempt, std::shared_ptr<void>& transport) {
    if (gateway_) {
        auto [bridge, fd] = co_await gateway_->open_bridge(hop_.host, hop_.port, hop_.label());
        transport = bridge;
        co_return fd;
    }
    tcp::resolver resolver(executor_);
    auto [resolve_error, addresses] =
        co_await resolver.async_resolve(hop_.host, std::to_string(hop_.port), asio::as_tuple(asio::use_awaitable));
    if (resolve_error) {
        throw TransientConnectError("cannot connect to " + description() + ": cannot resolve the host name '" +
                                    hop_.host + "': " + resolve_error.message());
    }
    attempt.socket.emplace(executor_);
    if (attempt.aborted) throw TransientConnectError(attempt.why);
    auto [connect_error, connected] =
        co_await asio::async_connect(*attempt.socket, addresses, asio::as_tuple(asio::use_awaitable));
    if (attempt.aborted) throw TransientConnectError(attempt.why);
    if (connect_error) {
        std::string why = connect_error == asio::error::connection_refused
                              ? "connection refused (nothing listens on " + hop_.host + " port " +
                                    std::to_string(hop_.port) + "; is sshd running?)"
                              : connect_error.message();
        throw TransientConnectError("cannot connect to " + description() + ": " + why);
    }
    boost::system::error_code ignored;
    attempt.socket->set_option(tcp::no_delay(true), ignored);  // small requests must not wait for Nagle
    int fd = attempt.socket->release();
    attempt.socket.reset();
    co_return fd;
}

asio::awaitable<std::shared_ptr<SshSession>> Endpoint::connect_once() {
    auto attempt = std::make_shared<Attempt>();
    attempt_ = attempt;
    const std::string timeout_text = seconds_text(hop_.connect_timeout);
    asio::steady_timer watchdog(executor_);
    watchdog.expires_after(hop_.connect_timeout);
    watchdog.async_wait([attempt, timeout_text](boost::system::error_code ec) {
        if (!ec) attempt->abort("no answer within connect_timeout (" + timeout_text + ")");
    });

    std::string phase = gateway_ ? "opening the forwarding channel through the gateway" : "connecting";
    std::exception_ptr error;
    try {
        std::shared_ptr<void> bridge;
        int fd = co_await open_transport(*attempt, bridge);
        auto transport = std::make_shared<SessionTransport>(
            SessionTransport{std::static_pointer_cast<HopBridge>(bridge), lifeline_});
        auto session = SshSession::create(executor_, fd, hop_.label(), transport);
        attempt->session = session;
        if (attempt->aborted) session->fail(attempt->why);
        libssh2_session_method_pref(session->raw(), LIBSSH2_METHOD_HOSTKEY, host_key_preference);

        phase = "the SSH handshake";
        long rc = co_await session->call(
            [&] { return static_cast<long>(libssh2_session_handshake(session->raw(), session->socket_fd())); });
        if (rc != 0) {
            throw TransientConnectError("cannot connect to " + description() + ": the SSH handshake failed: " +
                                        last_error_text(session->raw(), static_cast<int>(rc)));
        }
        phase = "host key verification";
        verify_host_key(session->raw(), hop_, *logger_);
        phase = "authentication";
        co_await authenticate(*session, hop_, *logger_);
        if (attempt->aborted) session->throw_if_failed();

        watchdog.cancel();
        attempt_.reset();
        session->start_keepalive(hop_.keepalive_interval);
        co_return session;
    } catch (...) {
        error = std::current_exception();
    }

    watchdog.cancel();
    attempt_.reset();
    if (attempt->session) attempt->session->fail("the connection attempt failed");
    throw_if_shut_down();
    if (attempt->aborted) {
        throw TransientConnectError("cannot connect to " + description() + ": " + attempt->why + " during " + phase);
    }
    try {
        std::rethrow_exception(error);
    } catch (const TransportBroken& e) {
        // The link broke while setting up (the server or a gateway went away): worth another try.
        throw TransientConnectError("cannot connect to " + description() + ": the connection broke during " +
                                    phase + ": " + e.what());
    } catch (const boost::system::system_error& e) {
        throw TransientConnectError("cannot connect to " + description() + ": " + e.what());
    }
}

asio::awaitable<std::pair<std::shared_ptr<HopBridge>, int>> Endpoint::open_bridge(const std::string& host, int port,
                                                                                  const std::string& target) {
    auto self = shared_from_this();
    for (int attempt = 1;; ++attempt) {
        auto gateway_session = co_await session();
        try {
            co_return co_await HopBridge::open(gateway_session, host, port, target);
        } catch (const TransportBroken&) {
            // The gateway's session had died unnoticed: reconnect it once.
            if (attempt >= 2) throw;
        }
    }
}

asio::awaitable<Endpoint::Slot> Endpoint::acquire_slot() {
    for (;;) {
        throw_if_shut_down();
        if (slots_in_use_ < hop_.max_channels) {
            ++slots_in_use_;
            co_return Slot(shared_from_this());
        }
        if (idle_sftp_) {
            idle_sftp_.reset();  // its slot passes to the caller
            co_return Slot(shared_from_this());
        }
        co_await state_changed_.wait();
    }
}

void Endpoint::release_slot() {
    --slots_in_use_;
    state_changed_.notify_all();
}

asio::awaitable<Endpoint::ChannelLease> Endpoint::channel() {
    Slot slot = co_await acquire_slot();
    auto live = co_await session();
    co_return ChannelLease{std::move(slot), std::move(live)};
}

asio::awaitable<Endpoint::SftpLease> Endpoint::sftp() {
    throw_if_shut_down();
    if (idle_sftp_) {
        if (session_ && idle_sftp_->session_ptr() == session_ && !session_->failed()) {
            co_return SftpLease{Slot(shared_from_this()), std::move(idle_sftp_)};
        }
        idle_sftp_.reset();  // from a session that is gone
        release_slot();
    }
    Slot slot = co_await acquire_slot();
    auto live = co_await session();
    auto handle = co_await SftpHandle::open(live);
    co_return SftpLease{std::move(slot), std::move(handle)};
}

void Endpoint::recycle(SftpLease lease) {
    if (shut_down_ || idle_sftp_ || !lease.sftp || !session_ || lease.sftp->session_ptr() != session_ ||
        session_->failed()) {
        return;  // the lease's destructor closes the channel and gives the slot back
    }
    idle_sftp_ = std::move(lease.sftp);
    lease.slot.keep_for_idle();
}

void Endpoint::shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    lifeline_->shut_down = true;
    if (command_server) {
        command_server->shutdown();
        command_server.reset();  // it holds this endpoint through its process
    }
    if (attempt_) attempt_->abort("the connector was closed");
    if (session_) session_->close("the connector was closed");
    idle_sftp_.reset();
    session_.reset();
    backoff_timer_.cancel();
    state_changed_.notify_all();
}

}  // namespace hpcexec::ssh
