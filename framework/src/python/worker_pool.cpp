#include "python/worker_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hpcexec::python {

WorkerPool::Waiter::Waiter(const boost::asio::any_io_executor& executor)
    : wake(executor, boost::asio::steady_timer::time_point::max()) {}

WorkerPool::WorkerPool(std::shared_ptr<Connector> connector, WorkerSettings settings, std::size_t max_workers)
    : connector_(std::move(connector)), settings_(std::move(settings)), max_workers_(max_workers) {}

WorkerPool::~WorkerPool() = default;

boost::asio::awaitable<std::unique_ptr<WorkerProcess>> WorkerPool::start_in_slot() {
    try {
        co_return co_await WorkerProcess::start(*connector_, settings_, generation_);
    } catch (...) {
        release_slot();
        throw;
    }
}

boost::asio::awaitable<std::unique_ptr<WorkerProcess>> WorkerPool::acquire() {
    if (!idle_.empty()) {
        // The most recently used worker: the warmest caches.
        auto worker = std::move(idle_.back());
        idle_.pop_back();
        co_return worker;
    }
    if (live_ < max_workers_) {
        ++live_;
        co_return co_await start_in_slot();
    }
    auto waiter = std::make_shared<Waiter>(co_await boost::asio::this_coro::executor);
    waiters_.push_back(waiter);
    // Woken (the timer cancelled) by release() or release_slot(), which first put a worker or a slot in the waiter.
    co_await waiter->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (waiter->worker) co_return std::move(waiter->worker);
    co_return co_await start_in_slot();
}

void WorkerPool::release_slot() {
    if (waiters_.empty()) {
        --live_;
        return;
    }
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->wake.cancel();
}

void WorkerPool::release(std::unique_ptr<WorkerProcess> worker, bool healthy) {
    if (!healthy || worker->generation() != generation_) {
        worker.reset();
        release_slot();
        return;
    }
    if (!waiters_.empty()) {
        auto waiter = std::move(waiters_.front());
        waiters_.pop_front();
        waiter->worker = std::move(worker);
        waiter->wake.cancel();
        return;
    }
    idle_.push_back(std::move(worker));
}

boost::asio::awaitable<std::string> WorkerPool::call(std::string request) {
    while (true) {
        auto worker = co_await acquire();
        // A worker that had served calls before may have died while idle (killed, or its node rebooted): a call it
        // never accepted goes to the next worker. A fresh worker failing that way is a real problem: report it.
        bool fresh = worker->calls_served() == 0;
        std::optional<PythonWorkerError> lost;
        try {
            std::string response = co_await worker->call(request);
            release(std::move(worker), true);
            co_return response;
        } catch (const LostBeforeCall& error) {
            lost = error.error();
        } catch (...) {
            release(std::move(worker), false);
            throw;
        }
        release(std::move(worker), false);
        if (fresh) throw *lost;
    }
}

boost::asio::awaitable<PythonInfo> WorkerPool::check() {
    auto worker = co_await acquire();
    PythonInfo info = worker->info();
    release(std::move(worker), true);
    co_return info;
}

void WorkerPool::retire_all() {
    ++generation_;
    while (!idle_.empty()) {
        idle_.pop_back();
        release_slot();
    }
}

}  // namespace hpcexec::python
