#include "exactly_once.hpp"

#include "fault_injection.hpp"
#include "submission_record.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/logging.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hpcexec {
namespace {

// An owner on another host that has not finished its submission after this long is presumed dead.
constexpr std::int64_t remote_owner_lease_seconds = 600;
// How often a process waiting for another one's submission looks at the record again.
constexpr auto wait_step = std::chrono::milliseconds(250);

struct Stored {
    SubmissionRecord record;
    std::uint64_t version;
};

std::optional<Stored> read(CheckpointStore& store, const std::string& key) {
    auto stored = store.get(key);
    if (!stored) return std::nullopt;
    return Stored{SubmissionRecord::parse(stored->data, store.describe(), key), stored->version};
}

// The version a record has right after this process wrote it (compare_and_set does not return it).
std::uint64_t version_after_write(CheckpointStore& store, const std::string& key, const std::string& token) {
    auto now = read(store, key);
    if (!now || now->record.token != token) {
        throw CheckpointError("checkpoint " + store.describe() + " key '" + key +
                              "': the submission record changed while it was being written");
    }
    return now->version;
}

// Submits the claimed record's request and records the job. `version` is the record's version as claimed.
boost::asio::awaitable<Job> submit_and_record(HpcExecutor& executor, CheckpointStore& store, const std::string& key,
                                              SubmissionRecord record, std::uint64_t version) {
    fault_injection_point("before-sbatch");
    JobRef ref = co_await executor.queue_system()->submit(record.request);
    fault_injection_point("after-sbatch");
    record.stage = SubmissionRecord::Stage::submitted;
    record.job = ref;
    if (!store.compare_and_set(key, version, record.serialize())) {
        // Another process presumed this one dead and took over; it will find this job by its token.
        get_logger("kernel")->warn("checkpoint {}: key '{}' was taken over during submission of job {}",
                                   store.describe(), key, ref.job_id);
    }
    fault_injection_point("after-record-id");
    co_return executor.attach(ref, record.request.script);
}

}  // namespace

boost::asio::awaitable<Job> submit_exactly_once(HpcExecutor& executor, CheckpointStore& store, std::string key,
                                                SubmitRequest request) {
    fault_injection_point("before-record");
    auto logger = get_logger("kernel");
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (;;) {
        auto stored = read(store, key);
        if (!stored) {
            SubmissionRecord record;
            record.token = new_submission_token();
            record.owner = SubmissionOwner::self();
            record.request = request;
            record.request.token = record.token;
            if (!store.compare_and_set(key, std::nullopt, record.serialize())) continue;  // another process won
            fault_injection_point("after-record");
            std::uint64_t version = version_after_write(store, key, record.token);
            co_return co_await submit_and_record(executor, store, key, std::move(record), version);
        }
        if (stored->record.stage == SubmissionRecord::Stage::submitted) {
            logger->debug("checkpoint key '{}': reattaching to job {}", key, stored->record.job->job_id);
            co_return executor.attach(*stored->record.job, stored->record.request.script);
        }
        // "submitting": somebody is (or was) between the record and sbatch's answer.
        if (stored->record.owner.presumed_alive(remote_owner_lease_seconds)) {
            timer.expires_after(wait_step);
            co_await timer.async_wait(boost::asio::use_awaitable);
            continue;
        }
        SubmissionRecord record = stored->record;
        record.owner = SubmissionOwner::self();
        if (!store.compare_and_set(key, stored->version, record.serialize())) continue;  // another taker won
        std::uint64_t version = version_after_write(store, key, record.token);
        // The dead owner may have reached sbatch: its job carries the token.
        auto found = co_await executor.queue_system()->find_submitted(record.request);
        if (!found.empty()) {
            logger->info("checkpoint key '{}': adopting job {} submitted before a crash", key, found.front().job_id);
            record.stage = SubmissionRecord::Stage::submitted;
            record.job = found.front();
            store.compare_and_set(key, version, record.serialize());
            co_return executor.attach(found.front(), record.request.script);
        }
        co_return co_await submit_and_record(executor, store, key, std::move(record), version);
    }
}

}  // namespace hpcexec
