#include "hop_bridge.hpp"

#include "ssh_support.hpp"

#include <hpcexec/errors.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace hpcexec::ssh {
namespace asio = boost::asio;

namespace {
// One read from either side moves at most this much; libssh2 cuts channel writes into 32 KB packets anyway.
constexpr std::size_t pump_chunk = 128 * 1024;
}

asio::awaitable<std::pair<std::shared_ptr<HopBridge>, int>> HopBridge::open(std::shared_ptr<SshSession> gateway,
                                                                            const std::string& host, int port,
                                                                            const std::string& target_label) {
    LIBSSH2_SESSION* raw = gateway->raw();
    int error = 0;
    // The originator address is informational (sshd logs it); the loopback address is what ssh -J sends too.
    LIBSSH2_CHANNEL* channel = co_await gateway->call_for_pointer<LIBSSH2_CHANNEL>(
        [&] { return libssh2_channel_direct_tcpip_ex(raw, host.c_str(), port, "127.0.0.1", 0); }, error);
    if (channel == nullptr) {
        std::string said = last_error_text(raw, error);
        std::string hint;
        if (said.find("prohibited") != std::string::npos) {
            hint = " (the gateway does not allow forwarding: its sshd needs AllowTcpForwarding yes)";
        } else if (said.find("connect failed") != std::string::npos) {
            hint = " (the gateway could not connect there: nothing listens on that address as seen from the gateway)";
        }
        throw ConnectionError("cannot reach " + target_label + " through gateway " + gateway->label() +
                              ": the gateway refused to open a forwarding (direct-tcpip) channel to " + host + ":" +
                              std::to_string(port) + ": " + said + hint);
    }
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
        int saved = errno;
        libssh2_channel_free(channel);  // not sent anything yet that needs waiting for; best effort
        throw ConnectionError("cannot create a socketpair to bridge " + target_label + ": " +
                              std::generic_category().message(saved));
    }
    auto bridge = std::shared_ptr<HopBridge>(new HopBridge(std::move(gateway), channel, fds[1]));
    bridge->start();
    co_return std::make_pair(bridge, fds[0]);
}

HopBridge::HopBridge(std::shared_ptr<SshSession> gateway, LIBSSH2_CHANNEL* channel, int bridge_fd)
    : gateway_(std::move(gateway)), channel_(channel), socket_(gateway_->executor()) {
    socket_.assign(asio::local::stream_protocol(), bridge_fd);
}

HopBridge::~HopBridge() {
    // Normally the pumps freed the channel; if they never ran to the end (the gateway session failed), free it now.
    if (channel_ != nullptr) libssh2_channel_free(channel_);
}

void HopBridge::start() {
    running_pumps_ = 2;
    auto self = shared_from_this();
    // Each pump holds the bridge alive until it ends (a cycle broken by the end of the streams).
    asio::co_spawn(gateway_->executor(), [self]() -> asio::awaitable<void> {
        co_await self->pump_to_channel();
        co_await self->pump_finished();
    }, asio::detached);
    asio::co_spawn(gateway_->executor(), [self]() -> asio::awaitable<void> {
        co_await self->pump_from_channel();
        co_await self->pump_finished();
    }, asio::detached);
}

asio::awaitable<void> HopBridge::pump_to_channel() {
    std::vector<char> buffer(pump_chunk);
    try {
        for (;;) {
            auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
            if (ec || n == 0) break;  // the inner session closed its end (or the bridge is being torn down)
            std::size_t written = 0;
            while (written < n) {
                long rc = co_await gateway_->call([&] {
                    return static_cast<long>(libssh2_channel_write(channel_, buffer.data() + written, n - written));
                });
                if (rc < 0) throw ConnectionLost(last_error_text(gateway_->raw(), static_cast<int>(rc)));
                written += static_cast<std::size_t>(rc);
            }
        }
        // No more from the inner session: tell the far end, and close the channel so the downstream pump ends too.
        co_await gateway_->call([&] { return static_cast<long>(libssh2_channel_send_eof(channel_)); });
        co_await gateway_->call([&] { return static_cast<long>(libssh2_channel_close(channel_)); });
    } catch (const std::exception&) {
        // The gateway connection is gone: closing our end makes the inner session see the end of its stream.
        boost::system::error_code ignored;
        socket_.shutdown(asio::socket_base::shutdown_both, ignored);
    }
}

asio::awaitable<void> HopBridge::pump_from_channel() {
    std::vector<char> buffer(pump_chunk);
    try {
        for (;;) {
            long rc = co_await gateway_->call(
                [&] { return static_cast<long>(libssh2_channel_read(channel_, buffer.data(), buffer.size())); });
            if (rc <= 0) break;  // 0: the far end's end of stream (or its channel closed)
            auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(buffer.data(), static_cast<std::size_t>(rc)),
                                                      asio::as_tuple(asio::use_awaitable));
            if (ec) break;
        }
    } catch (const std::exception&) {
    }
    // End of the far end's stream (or of the gateway): the inner session reads end of stream, and the upstream
    // pump's read ends too (nothing the inner session still sends could arrive anywhere).
    boost::system::error_code ignored;
    socket_.shutdown(asio::socket_base::shutdown_both, ignored);
}

asio::awaitable<void> HopBridge::pump_finished() {
    if (--running_pumps_ > 0) co_return;  // the last pump to end frees the channel
    boost::system::error_code ignored;
    socket_.close(ignored);
    if (!gateway_->failed()) {
        try {
            co_await gateway_->call([&] { return static_cast<long>(libssh2_channel_free(channel_)); });
            channel_ = nullptr;
        } catch (const std::exception&) {
            // The gateway failed meanwhile; the destructor frees what is left.
        }
    }
}

}  // namespace hpcexec::ssh
