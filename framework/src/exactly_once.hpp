// Exactly-once submission: a job per checkpoint key, whatever crashes in between.
#pragma once

#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/executor.hpp>

namespace hpcexec {

/// Submits `request` at most once for `key`:
///  1. no record: write one (stage "submitting", a fresh token, this process as owner) with compare-and-set, then
///     sbatch with the token as the job's tag, then record the job id (stage "submitted");
///  2. a "submitted" record: reattach to its job (waiting for it, or its final state if it already ended);
///  3. a "submitting" record whose owner is alive (another process submitting right now): wait for it;
///     whose owner is dead (a crash during sbatch): take the record over, look the token up in the scheduler and
///     adopt that job, or submit if the scheduler has none.
/// Two processes racing on one key produce one job: record creation and take-over are compare-and-set.
/// THREAD: runs on the kernel's loop; the store's calls are short local I/O.
boost::asio::awaitable<Job> submit_exactly_once(HpcExecutor& executor, CheckpointStore& store, std::string key,
                                                SubmitRequest request);

}  // namespace hpcexec
