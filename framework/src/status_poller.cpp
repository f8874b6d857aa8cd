#include "status_poller.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/logging.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace hpcexec {
namespace {

// During an outage the interval doubles up to this bound, so a long outage costs few commands and recovery is
// still noticed within a minute.
constexpr std::chrono::milliseconds max_backoff = std::chrono::seconds(60);

}  // namespace

StatusPoller::StatusPoller(Kernel& kernel, std::shared_ptr<QueueSystem> queue, std::string description)
    : executor_(kernel.loop().executor()),
      queue_(std::move(queue)),
      description_(std::move(description)),
      logger_(get_logger("poller")) {}

StatusPoller::~StatusPoller() = default;

std::shared_ptr<StatusPoller> StatusPoller::shared_for(Kernel& kernel, const std::string& key,
                                                       std::shared_ptr<QueueSystem> queue,
                                                       const std::string& description) {
    static std::mutex mutex;
    static std::map<std::pair<const Kernel*, std::string>, std::weak_ptr<StatusPoller>> pollers;
    std::lock_guard lock(mutex);
    auto& slot = pollers[{&kernel, key}];
    if (auto existing = slot.lock()) return existing;
    auto poller = std::make_shared<StatusPoller>(kernel, std::move(queue), description);
    slot = poller;
    return poller;
}

std::size_t StatusPoller::tracked_count() const {
    std::lock_guard lock(mutex_);
    return tracked_.size();
}

void StatusPoller::track(std::shared_ptr<JobRecord> record) {
    std::lock_guard lock(mutex_);
    tracked_[record->ref.job_id] = std::move(record);
    if (!running_) {
        running_ = true;
        boost::asio::co_spawn(executor_, [self = shared_from_this()] { return self->run(); }, boost::asio::detached);
    }
}

boost::asio::awaitable<JobStatus> StatusPoller::wait_until_ended(std::shared_ptr<JobRecord> record) {
    auto timer = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor,
                                                             boost::asio::steady_timer::time_point::max());
    {
        std::lock_guard lock(record->mutex);
        if (record->ended) co_return record->status;
        record->wakeups.push_back(timer);
    }
    // finish() cancels the timer when the job ends: the wait completes with operation_aborted, which is the signal.
    co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    std::lock_guard lock(record->mutex);
    co_return record->status;
}

void StatusPoller::finish(const std::shared_ptr<JobRecord>& record, const JobStatus& status) {
    std::vector<std::shared_ptr<boost::asio::steady_timer>> wakeups;
    {
        std::lock_guard lock(record->mutex);
        record->status = status;
        record->ended = true;
        wakeups.swap(record->wakeups);
    }
    for (auto& timer : wakeups) timer->cancel();
}

boost::asio::awaitable<void> StatusPoller::run() {
    boost::asio::steady_timer timer(executor_);
    const auto interval = queue_->polling_interval();
    auto delay = interval;
    bool in_outage = false;
    auto outage_started = std::chrono::steady_clock::now();

    for (;;) {
        timer.expires_after(delay);
        co_await timer.async_wait(boost::asio::use_awaitable);

        std::vector<JobRef> refs;
        {
            std::lock_guard lock(mutex_);
            if (tracked_.empty()) {
                running_ = false;
                co_return;
            }
            refs.reserve(tracked_.size());
            for (const auto& [id, record] : tracked_) refs.push_back(record->ref);
        }

        std::map<std::string, JobStatus> statuses;
        try {
            ++queries_;
            statuses = co_await queue_->query(std::move(refs));
        } catch (const std::exception& e) {
            // Scheduler or connection trouble says nothing about the jobs: keep their states, back off, and
            // say so once per outage rather than every interval. (Any exception: one escaping this loop would end
            // the poller silently and leave every waiter waiting forever.)
            if (!in_outage) {
                in_outage = true;
                outage_started = std::chrono::steady_clock::now();
                logger_->warn("{}: cannot query job states, keeping them as they are and retrying: {}",
                              description_, e.what());
            }
            delay = std::min(delay * 2, std::max(max_backoff, interval));
            continue;
        }
        if (in_outage) {
            in_outage = false;
            auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                            outage_started);
            logger_->warn("{}: job states are available again after {} s", description_, seconds.count());
        }
        delay = interval;

        std::vector<std::pair<std::shared_ptr<JobRecord>, JobStatus>> ended;
        {
            std::lock_guard lock(mutex_);
            for (auto& [id, status] : statuses) {
                auto it = tracked_.find(id);
                if (it == tracked_.end()) continue;
                if (is_terminal(status.state)) {
                    ended.emplace_back(it->second, status);
                    tracked_.erase(it);
                } else {
                    std::lock_guard record_lock(it->second->mutex);
                    it->second->status = status;
                }
            }
        }
        for (auto& [record, status] : ended) {
            logger_->debug("{}: job {} ended {}", description_, record->ref.job_id, to_string(status.state));
            finish(record, status);
        }
        // Nothing left to track: end now rather than after one more interval, so the poller (and the components
        // it holds) does not outlive the last job by a polling interval.
        std::lock_guard lock(mutex_);
        if (tracked_.empty()) {
            running_ = false;
            co_return;
        }
    }
}

}  // namespace hpcexec
