// StatusPoller: one per cluster connection and queue system; asks the scheduler for all tracked jobs at once.
#pragma once

#include "job_record.hpp"

#include <hpcexec/kernel.hpp>
#include <hpcexec/queue_system.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace hpcexec {

/// Tracks jobs until they end. Each polling interval costs one QueueSystem::query for every tracked job of every
/// executor sharing this poller; waiters are woken when their job ends. When the query fails (scheduler or link
/// down), states stay as they were, the outage is logged once, and the poller backs off until it answers again.
///
/// OWNERSHIP: shared by the executors of one (connector target, queue system, options); its loop coroutine holds
/// it while jobs are tracked and ends when none is left. THREAD: track() from any thread; the
/// loop runs on the kernel's event loop.
class StatusPoller : public std::enable_shared_from_this<StatusPoller> {
public:
    StatusPoller(Kernel& kernel, std::shared_ptr<QueueSystem> queue, std::string description);
    ~StatusPoller();

    /// The poller for `key` in this kernel, created on first use.
    static std::shared_ptr<StatusPoller> shared_for(Kernel& kernel, const std::string& key,
                                                    std::shared_ptr<QueueSystem> queue, const std::string& description);

    /// Starts tracking a job (the loop starts if it was idle).
    void track(std::shared_ptr<JobRecord> record);
    /// Completes with the job's final status once it has ended (at once if it already has). Must run on the
    /// kernel's event loop (co_spawn it there); the caller's coroutine may live anywhere.
    static boost::asio::awaitable<JobStatus> wait_until_ended(std::shared_ptr<JobRecord> record);
    /// How many scheduler queries this poller has made (for tests and benchmarks).
    std::uint64_t query_count() const noexcept { return queries_.load(); }
    std::size_t tracked_count() const;

private:
    boost::asio::awaitable<void> run();
    void finish(const std::shared_ptr<JobRecord>& record, const JobStatus& status);

    boost::asio::any_io_executor executor_;
    std::shared_ptr<QueueSystem> queue_;
    std::string description_;
    std::shared_ptr<spdlog::logger> logger_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<JobRecord>> tracked_;  // by job id
    bool running_ = false;
    std::atomic<std::uint64_t> queries_{0};
};

}  // namespace hpcexec
