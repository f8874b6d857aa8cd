// Job ids from the command line and their states, shared by `status`, `wait` and `cancel`.
#pragma once

#include "cli_context.hpp"

#include <hpcexec/queue_system.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <vector>

namespace hpcexec::cli {

/// The job ids given as operands, in order, without repeats. Throws UsageError for anything that is not a job id:
/// ids reach scheduler commands, and one like `--me` would change what they do.
std::vector<std::string> job_ids_from(const std::vector<std::string>& operands);

/// Finds the states of jobs submitted earlier, by id, from a process that did not submit them.
///
/// A job's final state and exit code come partly from its exit marker, `<script>.<jobid>.exit` beside its script
/// (see README "Waiting for jobs"), and the marker's name depends on the script's name, which only the submitting
/// process knew. So this looks the marker up in the jobs' directory (`--cwd`, default work_dir) when a job is
/// seen to have ended, and asks the queue system again with the script's name then. Before that, the name is not
/// needed: a job still in the queue has no marker.
class JobLookup {
public:
    /// `cwd`: where the jobs' scripts were written (relative = inside work_dir; empty = work_dir).
    JobLookup(CliContext& context, const std::vector<std::string>& ids, const std::string& cwd);

    /// The current state of each of `ids` (some of the ids given to the constructor): one scheduler query, plus,
    /// when some of them ended, one directory listing and one more query for those. Throws SchedulerError or
    /// ConnectionError when the scheduler or the cluster cannot be asked.
    std::map<std::string, JobStatus> query(const std::vector<std::string>& ids);

private:
    /// Learns the script names of the jobs that left exit markers in the directory.
    void find_exit_markers();
    std::vector<JobRef> refs_of(const std::vector<std::string>& ids) const;

    CliContext& context_;
    std::string directory_;
    std::map<std::string, JobRef> refs_;  // by job id
};

/// True for a state in which a job ended without completing (FAILED, CANCELLED, TIMEOUT).
bool ended_badly(JobState state);

/// "123 FAILED (exit code 3) [vanished]": one line of `status` and `wait`.
std::string describe(const std::string& id, const JobStatus& status);
/// {"job_id": "123", "state": "FAILED", "exit_code": 3, "reason": "vanished"}; exit_code is null when unknown.
boost::json::object to_json(const std::string& id, const JobStatus& status);

}  // namespace hpcexec::cli
