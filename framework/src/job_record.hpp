// JobRecord: what the framework knows of one submitted job; shared by its Job handles and the status poller.
#pragma once

#include <hpcexec/queue_system.hpp>

#include <boost/asio/steady_timer.hpp>

#include <memory>

#include <mutex>
#include <vector>

namespace hpcexec {

struct JobRecord {
    /// Set at submission, never changed after.
    JobRef ref;
    SubmitRequest request;

    /// Guarded by `mutex`: updated by the poller, read by any thread.
    mutable std::mutex mutex;
    JobStatus status{JobState::pending, std::nullopt, ""};
    bool ended = false;
    /// One timer per waiting result_async() caller, cancelled to wake it when the job ends. Touched only on the
    /// kernel's event loop thread (the waiters and the poller both run there).
    std::vector<std::shared_ptr<boost::asio::steady_timer>> wakeups;
};

}  // namespace hpcexec
