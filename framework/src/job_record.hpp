// JobRecord: what the framework knows of one submitted job; shared by its Job handles and the status poller.
#pragma once

#include <hpcexec/queue_system.hpp>

#include <boost/asio/any_completion_handler.hpp>

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
    /// Completion handlers of result_async() callers, called once when the job ends.
    std::vector<boost::asio::any_completion_handler<void(JobStatus)>> waiters;
};

}  // namespace hpcexec
