// HopBridge: a connection opened by a gateway (jump host) to the next hop, turned into a socket for the next hop's
// own SSH session.
#pragma once

#include "ssh_session.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <libssh2.h>

#include <memory>
#include <string>
#include <utility>

namespace hpcexec::ssh {

/// A `direct-tcpip` channel on the gateway's session (the gateway's sshd connects to host:port for us, as
/// `ssh -J` does), bridged to one end of a socketpair; the other end is the socket of the inner SshSession.
///
/// WHY A SOCKETPAIR: a libssh2 session needs a socket to wait on. Bridging through a socketpair keeps SshSession
/// identical for direct and tunnelled hops (same readiness waits, same failure detection: a broken gateway closes
/// the pair, which the inner session sees as end of stream), at the cost of one local copy per chunk. Two pump
/// coroutines on the event loop move the bytes: socket -> channel and channel -> socket.
///
/// LIFETIME: the inner SshSession holds the bridge (as its transport). When the inner session closes its end, the
/// upstream pump sends EOF and closes the channel, the downstream pump then ends, and the last one frees the
/// channel. The pumps hold the gateway session, so the gateway stays up while a bridge through it runs.
/// THREAD: the event loop's thread only.
class HopBridge : public std::enable_shared_from_this<HopBridge> {
public:
    /// Opens the channel to host:port through `gateway` and returns the bridge with the inner session's end of the
    /// socketpair (a descriptor the caller owns). Throws ConnectionError when the gateway refuses (naming both
    /// hops and what the gateway said), TransportBroken when the gateway connection itself breaks.
    static boost::asio::awaitable<std::pair<std::shared_ptr<HopBridge>, int>> open(
        std::shared_ptr<SshSession> gateway, const std::string& host, int port, const std::string& target_label);
    ~HopBridge();
    HopBridge(const HopBridge&) = delete;
    HopBridge& operator=(const HopBridge&) = delete;

private:
    HopBridge(std::shared_ptr<SshSession> gateway, LIBSSH2_CHANNEL* channel, int bridge_fd);
    void start();
    boost::asio::awaitable<void> pump_to_channel();
    boost::asio::awaitable<void> pump_from_channel();
    boost::asio::awaitable<void> pump_finished();

    std::shared_ptr<SshSession> gateway_;
    LIBSSH2_CHANNEL* channel_;
    boost::asio::local::stream_protocol::socket socket_;
    int running_pumps_ = 0;
};

}  // namespace hpcexec::ssh
