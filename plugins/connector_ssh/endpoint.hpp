// Endpoint: one host (one hop of a chain) as the connector sees it: a session that is there when needed,
// reconnected when it broke, with a bounded number of channels.
#pragma once

#include "connection_settings.hpp"
#include "sftp_transfer.hpp"
#include "ssh_session.hpp"
#include "coroutine_sync.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/logger.h>

#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>

namespace hpcexec::ssh {

class CommandServer;
class HopBridge;

/// Marks everything that belongs to one endpoint (the endpoint, its sessions, its bridges; and through the
/// sessions every coroutine using them). When an endpoint is shut down, the session pool waits for its lifeline to
/// be gone before the plugin may be unloaded: that is when no code of this plugin will run for it any more.
struct Lifeline;

/// One host reached directly or through the Endpoint of its gateway, shared by every connector (of every executor)
/// naming the same chain of hops; made and owned by the SessionPool.
///
/// SESSION: session() returns the live session, connecting first when there is none. Concurrent callers share one
/// connection attempt (and its failure). When the session has broken, the next call reconnects; a reconnection
/// retries transient failures (refused, reset, timed out) with exponential backoff and jitter, at most 5 attempts.
/// A first connection is not retried: a wrong port or a stopped server is reported at once.
/// CHANNELS: at most `max_channels` channels (commands, SFTP) are open at once; one idle SFTP channel is kept for
/// the next file operation and is closed when a command needs its slot.
/// THREAD: the event loop's thread only, except the constructor.
class Endpoint : public std::enable_shared_from_this<Endpoint> {
public:
    Endpoint(boost::asio::any_io_executor executor, HopSettings hop, std::shared_ptr<Endpoint> gateway,
             std::shared_ptr<spdlog::logger> logger, std::shared_ptr<Lifeline> lifeline);
    ~Endpoint();
    Endpoint(const Endpoint&) = delete;
    Endpoint& operator=(const Endpoint&) = delete;

    const HopSettings& settings() const noexcept { return hop_; }
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }
    /// "user@host:port", with " via user@gw:port" for each gateway: how messages name the target.
    std::string description() const;
    const std::shared_ptr<Endpoint>& gateway() const noexcept { return gateway_; }
    const std::shared_ptr<spdlog::logger>& logger() const noexcept { return logger_; }

    /// A live, authenticated session. Throws ConnectionError when the host cannot be reached or refuses us.
    boost::asio::awaitable<std::shared_ptr<SshSession>> session();

    /// One of the endpoint's channel slots; given back when destroyed.
    class Slot {
    public:
        Slot() = default;
        explicit Slot(std::shared_ptr<Endpoint> owner) : owner_(std::move(owner)) {}
        Slot(Slot&&) noexcept = default;
        Slot& operator=(Slot&& other) noexcept;
        ~Slot();
        /// Forgets the slot without giving it back: it now belongs to the idle SFTP channel.
        void keep_for_idle() noexcept { owner_.reset(); }

    private:
        std::shared_ptr<Endpoint> owner_;
    };

    /// A session and a channel slot on it, for one command.
    struct ChannelLease {
        Slot slot;
        std::shared_ptr<SshSession> session;
    };
    boost::asio::awaitable<ChannelLease> channel();

    /// An SFTP channel (with its slot) for one file operation; hand it back with recycle().
    struct SftpLease {
        Slot slot;
        std::unique_ptr<SftpHandle> sftp;
    };
    boost::asio::awaitable<SftpLease> sftp();
    /// Keeps the lease's SFTP channel for the next operation (if its session is still the live one).
    void recycle(SftpLease lease);

    /// Opens a HopBridge to the next hop host:port through this endpoint's session (connecting first if needed).
    boost::asio::awaitable<std::pair<std::shared_ptr<HopBridge>, int>> open_bridge(const std::string& host, int port,
                                                                                   const std::string& target);

    /// The home directory (SFTP realpath of "."), asked once.
    std::optional<std::string> cached_home;
    /// The persistent command server run() goes through (CommandServer::of makes it); stopped by shutdown().
    std::shared_ptr<CommandServer> command_server;

    /// Ends everything: fails the live session and any attempt in progress, wakes every waiter (they throw
    /// ConnectionError), drops the idle SFTP channel and the command server. Called by the pool when no connector
    /// uses the endpoint.
    void shutdown();

private:
    struct Attempt;
    boost::asio::awaitable<std::shared_ptr<SshSession>> connect_with_backoff(bool reconnecting);
    boost::asio::awaitable<std::shared_ptr<SshSession>> connect_once();
    boost::asio::awaitable<int> open_transport(Attempt& attempt, std::shared_ptr<void>& transport);
    boost::asio::awaitable<Slot> acquire_slot();
    void release_slot();
    void throw_if_shut_down() const;

    boost::asio::any_io_executor executor_;
    HopSettings hop_;
    std::shared_ptr<Endpoint> gateway_;
    std::shared_ptr<spdlog::logger> logger_;
    std::shared_ptr<Lifeline> lifeline_;

    std::shared_ptr<SshSession> session_;
    bool connecting_ = false;
    bool ever_connected_ = false;
    std::uint64_t attempts_finished_ = 0;
    std::exception_ptr last_connect_error_;
    std::shared_ptr<Attempt> attempt_;  // the connection attempt in progress, so shutdown() can abort it
    WakeSignal state_changed_;          // connection attempts and slots
    boost::asio::steady_timer backoff_timer_;
    std::mt19937 random_;

    int slots_in_use_ = 0;
    std::unique_ptr<SftpHandle> idle_sftp_;  // holds one of the slots
    bool shut_down_ = false;
};

}  // namespace hpcexec::ssh
