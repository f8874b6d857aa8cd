#include "job_record.hpp"
#include "status_poller.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>

namespace hpcexec {

Job::Job(std::shared_ptr<HpcExecutor> executor, std::shared_ptr<JobRecord> record)
    : executor_(std::move(executor)), record_(std::move(record)) {}
Job::~Job() = default;
Job::Job(const Job&) = default;
Job& Job::operator=(const Job&) = default;
Job::Job(Job&&) noexcept = default;
Job& Job::operator=(Job&&) noexcept = default;

const std::string& Job::id() const noexcept { return record_->ref.job_id; }
const JobRef& Job::ref() const noexcept { return record_->ref; }
std::string Job::script_path() const { return record_->ref.cwd + "/" + record_->ref.script_name; }

JobStatus Job::status() const {
    std::lock_guard lock(record_->mutex);
    return record_->status;
}

boost::asio::awaitable<JobStatus> Job::result_async() const {
    // The wait itself runs on the kernel's loop (where the poller wakes it); this coroutine resumes on its own
    // executor, whatever that is.
    return executor_->kernel()->loop().run_on_loop(StatusPoller::wait_until_ended(record_));
}

std::future<JobStatus> Job::result_future() const {
    return boost::asio::co_spawn(executor_->kernel()->loop().executor(), result_async(), boost::asio::use_future);
}

JobStatus Job::result(std::optional<std::chrono::milliseconds> timeout) const {
    if (executor_->kernel()->loop().in_loop_thread()) {
        throw Error("Job::result() was called on the event loop thread; use co_await job.result_async()");
    }
    auto future = result_future();
    if (timeout && future.wait_for(*timeout) != std::future_status::ready) {
        throw TimeoutError("job " + id() + " did not end within " + std::to_string(timeout->count() / 1000.0) +
                           " s (it keeps running; state " + std::string(to_string(state())) + ")");
    }
    return future.get();
}

boost::asio::awaitable<void> Job::cancel_async() const {
    // On the kernel's loop, where the queue system (and its connector) is used.
    std::vector<std::string> ids{id()};
    auto cancel_on_loop = [](std::shared_ptr<QueueSystem> queue,
                             std::vector<std::string> job_ids) -> boost::asio::awaitable<void> {
        co_await queue->cancel(std::move(job_ids));
    };
    return executor_->kernel()->loop().run_on_loop(cancel_on_loop(executor_->queue_system(), std::move(ids)));
}

void Job::cancel() const { executor_->kernel()->loop().sync_wait(cancel_async()); }

boost::asio::awaitable<Job> Job::resubmit_async() const {
    if (record_->request.script.empty()) {
        throw Error("job " + id() + " cannot be resubmitted: it was attached without its script");
    }
    // A new job, not the same submission again: no exactly-once token (it would make both jobs match it).
    SubmitRequest again = record_->request;
    again.token.clear();
    co_return co_await executor_->submit_request_async(std::move(again));  // (runs on the kernel's loop)
}

Job Job::resubmit() const { return executor_->kernel()->loop().sync_wait(resubmit_async()); }

JobsFailed::JobsFailed(const std::string& message, std::vector<JobStatus> statuses)
    : Error(message), statuses_(std::move(statuses)) {}
JobsFailed::~JobsFailed() = default;

namespace {

// Waits for one job, resubmitting it while it ends in any state but COMPLETED and tries remain.
boost::asio::awaitable<void> wait_with_retries(std::shared_ptr<std::vector<Job>> jobs,
                                               std::shared_ptr<std::vector<JobStatus>> results, std::size_t index,
                                               int max_tries) {
    for (int attempt = 1;; ++attempt) {
        (*results)[index] = co_await (*jobs)[index].result_async();
        if ((*results)[index].state == JobState::completed || attempt >= max_tries) co_return;
        (*jobs)[index] = co_await (*jobs)[index].resubmit_async();
    }
}

// Runs on the kernel's loop (one thread), so the shared counters below need no locks.
boost::asio::awaitable<std::vector<JobStatus>> gather_on_loop(std::shared_ptr<std::vector<Job>> jobs, int max_tries) {
    auto executor = co_await boost::asio::this_coro::executor;
    auto results = std::make_shared<std::vector<JobStatus>>(jobs->size());
    auto remaining = std::make_shared<std::size_t>(jobs->size());
    auto first_error = std::make_shared<std::exception_ptr>();
    auto all_done = std::make_shared<boost::asio::steady_timer>(executor, boost::asio::steady_timer::time_point::max());
    for (std::size_t i = 0; i < jobs->size(); ++i) {
        boost::asio::co_spawn(executor, wait_with_retries(jobs, results, i, max_tries),
                              [remaining, first_error, all_done](std::exception_ptr error) {
                                  if (error && !*first_error) *first_error = error;
                                  if (--*remaining == 0) all_done->cancel();
                              });
    }
    if (*remaining > 0) co_await all_done->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (*first_error) std::rethrow_exception(*first_error);
    co_return std::move(*results);
}

}  // namespace

boost::asio::awaitable<std::vector<JobStatus>> gather_jobs_async(std::vector<Job> jobs, int max_tries,
                                                                 bool raise_error) {
    if (jobs.empty()) co_return std::vector<JobStatus>{};
    max_tries = std::max(max_tries, 1);
    auto shared_jobs = std::make_shared<std::vector<Job>>(std::move(jobs));
    auto loop_executor = shared_jobs->front().executor()->kernel()->loop().executor();
    // Every job is waited for at once; the caller resumes on its own executor.
    auto results = co_await boost::asio::co_spawn(loop_executor, gather_on_loop(shared_jobs, max_tries),
                                                  boost::asio::use_awaitable);
    std::string failures;
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (results[i].state == JobState::completed) continue;
        failures += (failures.empty() ? "" : ", ") + std::string("job ") + (*shared_jobs)[i].id() + " " +
                    std::string(to_string(results[i].state));
        if (results[i].exit_code) failures += " (exit code " + std::to_string(*results[i].exit_code) + ")";
        if (!results[i].reason.empty()) failures += " [" + results[i].reason + "]";
    }
    if (!failures.empty() && raise_error) {
        throw JobsFailed("jobs did not complete after " + std::to_string(max_tries) + " tries: " + failures, results);
    }
    co_return results;
}

std::vector<JobStatus> gather_jobs(std::vector<Job> jobs, int max_tries, bool raise_error) {
    if (jobs.empty()) return {};
    auto kernel = jobs.front().executor()->kernel();
    return kernel->loop().sync_wait(gather_jobs_async(std::move(jobs), max_tries, raise_error));
}

}  // namespace hpcexec
