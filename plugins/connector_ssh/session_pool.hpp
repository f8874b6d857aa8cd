// SessionPool: the process-wide table of Endpoints, so that every executor naming the same host shares one
// authenticated SSH session.
#pragma once

#include "connection_settings.hpp"
#include "endpoint.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hpcexec::ssh {

struct Lifeline {
    /// Set when the endpoint is shut down: from then on the pool waits for this object's end.
    bool shut_down = false;
    ~Lifeline();
};

/// Endpoints keyed by the event loop and the chain of hops ("user@gw:22>user@login:22"), reference-counted by
/// their users (connectors, and inner endpoints for their gateway).
///
/// LIFETIME: when the last user releases an endpoint, it is shut down on the event loop and its gateway released
/// in turn; release() then waits until everything of the shut-down endpoints is destroyed (sessions freed, no
/// coroutine of this plugin left for them), so that the kernel may unload the plugin as soon as the last connector
/// is gone. The table itself lives in the plugin (a function-local static) and is empty by then.
/// THREAD: acquire and release may be called from any thread.
class SessionPool {
public:
    static SessionPool& instance();

    /// The endpoint of the last hop of `hops` (first hop first), creating the endpoints of the chain that do not
    /// exist yet. Never connects.
    std::shared_ptr<Endpoint> acquire(const std::vector<HopSettings>& hops,
                                      const boost::asio::any_io_executor& executor,
                                      const std::shared_ptr<spdlog::logger>& logger);

    /// Gives back an endpoint from acquire() (taking the caller's reference). Waits for the teardown described above, except when called on the
    /// event loop's own thread (which the teardown needs); then the teardown finishes later.
    void release(std::shared_ptr<Endpoint> endpoint);

    /// Called by Lifeline's destructor.
    void lifeline_ended();

private:
    struct Entry {
        std::weak_ptr<Endpoint> endpoint;
        int users = 0;
    };
    std::shared_ptr<Endpoint> acquire_locked(const std::vector<HopSettings>& hops, std::size_t count,
                                             const boost::asio::any_io_executor& executor,
                                             const std::shared_ptr<spdlog::logger>& logger);
    void release_locked(const std::shared_ptr<Endpoint>& endpoint);
    std::string key_of(const std::vector<HopSettings>& hops, std::size_t count,
                       const boost::asio::any_io_executor& executor) const;

    std::mutex mutex_;
    std::condition_variable teardown_done_;
    std::map<std::string, Entry> entries_;
    std::map<const Endpoint*, std::string> keys_;
    // Shut-down endpoints whose lifeline has not ended yet.
    int tearing_down_ = 0;
};

}  // namespace hpcexec::ssh
