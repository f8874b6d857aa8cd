// QueueSystem: how hpcexec submits batch jobs to a scheduler (Slurm first) and learns their states.
#pragma once

#include <hpcexec/component.hpp>
#include <hpcexec/export.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec {

/// The life-cycle states of a batch job, as the original executor names them.
enum class JobState { pending, running, completed, failed, cancelled, timeout, held, unknown };

/// "PENDING", "RUNNING", ... (upper case, as the original prints them).
HPCEXEC_API std::string_view to_string(JobState state) noexcept;
/// True for COMPLETED, FAILED, CANCELLED and TIMEOUT: the job will not change state again.
HPCEXEC_API bool is_terminal(JobState state) noexcept;

/// A job to submit.
struct SubmitRequest {
    /// The batch script's text (with its #SBATCH lines or equivalent).
    std::string script;
    /// Absolute directory on the target in which the script file is written and the job runs.
    std::string cwd;
    /// An opaque token the queue system attaches to the job where the scheduler can show it back (Slurm: the job
    /// comment), so that a job can be found again after a crash; empty for none.
    std::string token;
    /// Extra scheduler arguments for this submission (e.g. {"--partition=debug"}); each is passed as one argument.
    std::vector<std::string> extra_args;
};

/// A submitted job, as the queue system needs it to find its state again.
struct JobRef {
    std::string job_id;
    /// The directory holding the job's script and its exit marker.
    std::string cwd;
    /// The script file's name inside cwd.
    std::string script_name;
};

/// What the queue system knows of one job.
struct JobStatus {
    JobState state = JobState::unknown;
    /// The job's exit code once known (the batch script's exit status).
    std::optional<int> exit_code;
    /// Why the job is in this state, where the scheduler says (e.g. "vanished", a pending reason).
    std::string reason;
};

/// Submits jobs to one scheduler through one Connector, and queries their states.
///
/// THREAD: coroutines awaited on the kernel's event loop executor; may be called concurrently.
/// ERRORS: submit() throws SchedulerError carrying the scheduler's own message when it refuses a job;
/// query() throws SchedulerError when the scheduler cannot be reached: callers keep the states they had (a
/// scheduler outage is not a job failure). ConnectionError propagates from the connector.
class HPCEXEC_API QueueSystem : public Component {
public:
    ~QueueSystem() override;

    /// Writes the script into request.cwd and submits it; returns the job's reference (with its id).
    virtual boost::asio::awaitable<JobRef> submit(SubmitRequest request) = 0;

    /// Returns the states of all the given jobs with as few scheduler invocations as the scheduler allows
    /// (Slurm: one squeue for all of them, plus one command reading exit markers). A job the scheduler no longer
    /// knows is classified from its exit marker, or reported FAILED with reason "vanished".
    virtual boost::asio::awaitable<std::map<std::string, JobStatus>> query(std::vector<JobRef> jobs) = 0;

    /// Finds the jobs an earlier submit(request) created, by request.token (after a crash between sbatch and
    /// recording its answer); returns their references as submit() would have (empty when none exists).
    virtual boost::asio::awaitable<std::vector<JobRef>> find_submitted(SubmitRequest request) = 0;

    /// Cancels jobs; an unknown or finished job is not an error.
    virtual boost::asio::awaitable<void> cancel(std::vector<std::string> job_ids) = 0;

    /// How often waiters' jobs should be queried.
    virtual std::chrono::milliseconds polling_interval() const = 0;
};

}  // namespace hpcexec
