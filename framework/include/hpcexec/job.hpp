// Job: a batch job submitted through an HpcExecutor, and the ways to wait for it.
#pragma once

#include <hpcexec/errors.hpp>
#include <hpcexec/export.hpp>
#include <hpcexec/queue_system.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hpcexec {

class HpcExecutor;
class StatusPoller;
struct JobRecord;

/// Options of HpcExecutor::submit.
struct SubmitOptions {
    /// Directory the script is written into and the job runs in; empty = work_dir; relative = inside work_dir.
    std::string cwd;
    /// Extra scheduler arguments (e.g. "--partition=debug"), one argument each.
    std::vector<std::string> extra_args;
    /// Exactly-once submission: with a key, the submission is recorded in the executor's checkpoint store before
    /// sbatch and the job is tagged with a unique token; calling submit again with the same key (in this or a
    /// later process, after a crash at any point) returns the same job, never a second one.
    std::string checkpoint_key;
    /// Internal: the token the job is tagged with (set by the exactly-once protocol).
    std::string token;
};

/// A submitted batch job.
///
/// OWNERSHIP: a cheap handle (copies share the same job). Holds its executor, so the executor and its connector
/// live while any Job does.
/// THREAD: every method may be called from any thread. result() and result_future().get() block; result_async()
/// is awaited in a coroutine (any executor; it completes on the kernel's loop).
/// WAITING: no Job ever polls on its own: the executor's status poller asks the scheduler for all tracked jobs
/// at once, once per polling interval, and wakes the waiters of jobs that ended. A scheduler outage leaves the
/// states as they were (never FAILED because squeue did not answer).
class HPCEXEC_API Job {
public:
    /// An empty handle, only good for assigning a real Job to (Asio needs value types to be default-constructible).
    Job() = default;
    Job(std::shared_ptr<HpcExecutor> executor, std::shared_ptr<JobRecord> record);
    ~Job();
    Job(const Job&);
    Job& operator=(const Job&);
    // Moves leave nothing behind: a Job handed out of a coroutine (sync_wait, co_spawn) must not leave a copy in
    // the coroutine's frame, which the event loop thread would destroy last (and with it, possibly, the kernel).
    Job(Job&&) noexcept;
    Job& operator=(Job&&) noexcept;

    const std::string& id() const noexcept;
    /// The latest known status (PENDING until the first poll has seen the job).
    JobStatus status() const;
    JobState state() const { return status().state; }
    std::optional<int> exit_code() const { return status().exit_code; }
    /// Where the job's script was written ("<cwd>/job-<hash>.sbatch").
    std::string script_path() const;
    const JobRef& ref() const noexcept;
    /// The executor that submitted the job.
    const std::shared_ptr<HpcExecutor>& executor() const noexcept { return executor_; }

    /// Blocks until the job ends and returns its final status; throws TimeoutError if `timeout` passes first
    /// (the job keeps running).
    JobStatus result(std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;
    /// Completes when the job ends, with its final status.
    boost::asio::awaitable<JobStatus> result_async() const;
    /// The same for code without Asio.
    std::future<JobStatus> result_future() const;

    /// Asks the scheduler to cancel the job (an ended job is left as it is). The final state (CANCELLED) arrives
    /// through the poller like any other.
    void cancel() const;
    boost::asio::awaitable<void> cancel_async() const;
    /// Submits the same script again, with the same options; returns the new job.
    Job resubmit() const;
    boost::asio::awaitable<Job> resubmit_async() const;

private:
    std::shared_ptr<HpcExecutor> executor_;
    std::shared_ptr<JobRecord> record_;
};

/// Raised by gather_jobs when jobs have not completed after max_tries submissions each.
class HPCEXEC_API JobsFailed : public Error {
public:
    JobsFailed(const std::string& message, std::vector<JobStatus> statuses);
    ~JobsFailed() override;
    /// The final status of every job, in the order given.
    const std::vector<JobStatus>& statuses() const noexcept { return statuses_; }

private:
    std::vector<JobStatus> statuses_;
};

/// Waits for all jobs; a job that ends in any state but COMPLETED is resubmitted until it has been submitted
/// `max_tries` times in all. Then throws JobsFailed listing the failures when `raise_error`, or returns the final
/// statuses (in the order given), as the original's gather_jobs.
HPCEXEC_API boost::asio::awaitable<std::vector<JobStatus>> gather_jobs_async(std::vector<Job> jobs, int max_tries = 1,
                                                                             bool raise_error = true);
HPCEXEC_API std::vector<JobStatus> gather_jobs(std::vector<Job> jobs, int max_tries = 1, bool raise_error = true);

}  // namespace hpcexec
