// The persistent workers of one python_cmd: started on first use, reused, replaced when they die, at most
// `max_workers` at once (a call waits for a free worker beyond that).
#pragma once

#include "python/worker_process.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace hpcexec::python {

/// OWNERSHIP: held by the runner; destroying it kills its idle workers (busy ones belong to their calls until they
/// end). Must be destroyed on the kernel's loop, before the connector.
/// THREAD: the kernel's loop only (its state needs no lock because nothing else touches it).
class WorkerPool {
public:
    WorkerPool(std::shared_ptr<Connector> connector, WorkerSettings settings, std::size_t max_workers);
    ~WorkerPool();

    /// Sends one request to a worker and returns the response payload. A call that a worker never accepted (it had
    /// died while idle) is sent again to another worker; a call that was running when its worker died fails with
    /// PythonWorkerError. Throws StartUnsupported when the connector cannot keep processes open.
    boost::asio::awaitable<std::string> call(std::string request);
    /// Starts or reuses a worker and returns what its Python reported.
    boost::asio::awaitable<PythonInfo> check();
    /// Replaces every worker: idle ones at once, busy ones when their call ends (after a package upload, so that
    /// no worker keeps an old copy of it imported).
    void retire_all();

private:
    /// A call waiting for a worker: it is handed a free worker, or the right to start one.
    struct Waiter {
        explicit Waiter(const boost::asio::any_io_executor& executor);
        boost::asio::steady_timer wake;
        /// The worker handed over; none means a slot to start one in.
        std::unique_ptr<WorkerProcess> worker;
    };

    boost::asio::awaitable<std::unique_ptr<WorkerProcess>> acquire();
    /// Starts a worker in a slot already counted in live_; gives the slot back when the start fails.
    boost::asio::awaitable<std::unique_ptr<WorkerProcess>> start_in_slot();
    /// Returns a worker after a call: kept when `healthy` and current, otherwise destroyed (killed).
    void release(std::unique_ptr<WorkerProcess> worker, bool healthy);
    /// Passes a freed slot to the first waiter, or frees it.
    void release_slot();

    std::shared_ptr<Connector> connector_;
    WorkerSettings settings_;
    std::size_t max_workers_;
    std::uint64_t generation_ = 0;
    /// Workers alive or being started, idle or busy.
    std::size_t live_ = 0;
    std::vector<std::unique_ptr<WorkerProcess>> idle_;
    std::deque<std::shared_ptr<Waiter>> waiters_;
};

}  // namespace hpcexec::python
