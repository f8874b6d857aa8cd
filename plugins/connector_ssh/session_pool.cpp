#include "session_pool.hpp"

#include <hpcexec/logging.hpp>

#include <boost/asio/execution/context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>

#include <sstream>

namespace hpcexec::ssh {
namespace asio = boost::asio;

namespace {

// How long release() waits for a teardown before giving up with a warning (a teardown only waits for sockets that
// are already shut down and for coroutines to unwind, so this is never reached in practice).
constexpr std::chrono::seconds teardown_limit{15};

bool on_loop_thread(const asio::any_io_executor& executor) {
    if (const auto* io = executor.target<asio::io_context::executor_type>()) return io->running_in_this_thread();
    return false;
}

// A stopped loop (the kernel is shutting down and destroys what was still pending on it) runs no teardown: there
// is nothing to wait for.
bool loop_stopped(const asio::any_io_executor& executor) {
    if (const auto* io = executor.target<asio::io_context::executor_type>()) return io->context().stopped();
    return false;
}

}  // namespace

Lifeline::~Lifeline() {
    if (shut_down) SessionPool::instance().lifeline_ended();
}

SessionPool& SessionPool::instance() {
    static SessionPool pool;
    return pool;
}

std::string SessionPool::key_of(const std::vector<HopSettings>& hops, std::size_t count,
                                const asio::any_io_executor& executor) const {
    std::ostringstream key;
    // Sessions live on one event loop: executors of different kernels never share them.
    key << static_cast<const void*>(&asio::query(executor, asio::execution::context));
    for (std::size_t i = 0; i < count; ++i) key << '>' << hops[i].label();
    return key.str();
}

std::shared_ptr<Endpoint> SessionPool::acquire(const std::vector<HopSettings>& hops,
                                               const asio::any_io_executor& executor,
                                               const std::shared_ptr<spdlog::logger>& logger) {
    std::lock_guard lock(mutex_);
    return acquire_locked(hops, hops.size(), executor, logger);
}

std::shared_ptr<Endpoint> SessionPool::acquire_locked(const std::vector<HopSettings>& hops, std::size_t count,
                                                      const asio::any_io_executor& executor,
                                                      const std::shared_ptr<spdlog::logger>& logger) {
    std::string key = key_of(hops, count, executor);
    auto& entry = entries_[key];
    if (auto existing = entry.endpoint.lock()) {
        ++entry.users;
        return existing;
    }
    // The gateway's endpoint counts this endpoint as one of its users until this one is released.
    std::shared_ptr<Endpoint> gateway;
    if (count > 1) gateway = acquire_locked(hops, count - 1, executor, logger);
    auto& fresh = entries_[key];  // acquire_locked may have added entries: look the slot up again
    auto endpoint = std::make_shared<Endpoint>(executor, hops[count - 1], gateway, logger,
                                               std::make_shared<Lifeline>());
    fresh.endpoint = endpoint;
    fresh.users = 1;
    keys_[endpoint.get()] = key;
    return endpoint;
}

void SessionPool::release(std::shared_ptr<Endpoint> endpoint) {
    if (!endpoint) return;
    const asio::any_io_executor executor = endpoint->executor();
    std::unique_lock lock(mutex_);
    release_locked(endpoint);
    // Endpoints are only ever destroyed on the loop: the caller's reference is dropped there too.
    asio::post(executor, [doomed = std::move(endpoint)] {});
    if (on_loop_thread(executor) || loop_stopped(executor)) return;
    if (!teardown_done_.wait_for(lock, teardown_limit, [this] { return tearing_down_ == 0; })) {
        // Nothing better to do than to go on: the kernel may unload the plugin while a teardown still runs.
        get_logger("ssh")->warn("an SSH session teardown did not finish within {} s", teardown_limit.count());
    }
}

void SessionPool::release_locked(const std::shared_ptr<Endpoint>& endpoint) {
    auto key = keys_.find(endpoint.get());
    if (key == keys_.end()) return;
    auto entry = entries_.find(key->second);
    if (entry == entries_.end() || --entry->second.users > 0) return;
    entries_.erase(entry);
    keys_.erase(key);
    ++tearing_down_;
    // The endpoint's objects live on the loop: shut it down there. Its gateway loses a user.
    asio::post(endpoint->executor(), [endpoint] { endpoint->shutdown(); });
    if (endpoint->gateway()) release_locked(endpoint->gateway());
}

void SessionPool::lifeline_ended() {
    std::lock_guard lock(mutex_);
    --tearing_down_;
    teardown_done_.notify_all();
}

}  // namespace hpcexec::ssh
