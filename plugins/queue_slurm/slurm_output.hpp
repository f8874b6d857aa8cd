// Parsing what Slurm's commands print. Pure functions, no I/O: tested and benchmarked on their own.
#pragma once

#include <hpcexec/queue_system.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hpcexec::slurm {

/// One job as squeue shows it.
struct QueueEntry {
    JobState state = JobState::unknown;
    /// Slurm's own state name ("COMPLETING", "NODE_FAIL"), for messages.
    std::string slurm_state;
    /// The reason column (pending reason, or "None").
    std::string reason;
    /// The comment column (holds hpcexec's submission token).
    std::string comment;
};

/// The field separator of the squeue/sacct formats hpcexec asks for. A character that cannot appear in a job id or
/// state, and is unlikely in a comment (a comment containing it is cut there, which only affects token lookup).
inline constexpr char field_separator = '|';

/// The squeue --format string matching parse_squeue: job id, state, reason, comment.
inline constexpr const char* squeue_format = "%i|%T|%r|%k";

/// Maps a Slurm state name (squeue %T or sacct State, possibly "CANCELLED by 123") to a JobState.
/// `reason` refines PENDING into HELD (JobHeldUser, JobHeldAdmin).
JobState map_slurm_state(std::string_view slurm_state, std::string_view reason = {});

/// Parses `squeue --noheader --format=<squeue_format>` output into job id -> entry. Malformed lines are skipped
/// (and counted in `malformed_lines` if given). Linear time; no allocation per field beyond the result.
std::unordered_map<std::string, QueueEntry> parse_squeue(std::string_view output, std::size_t* malformed_lines = nullptr);

/// One job as sacct shows it.
struct AccountingEntry {
    JobState state = JobState::unknown;
    std::string slurm_state;
    std::optional<int> exit_code;
};

/// Parses `sacct --noheader --parsable2 --format=JobID,State,ExitCode` output; job steps ("123.batch") are skipped.
/// When a job appears several times (requeued), the last line wins.
std::unordered_map<std::string, AccountingEntry> parse_sacct(std::string_view output);

/// Parses `sbatch --parsable` output ("123" or "123;cluster"); nullopt when it is not a job id.
std::optional<std::string> parse_sbatch_job_id(std::string_view output);

/// Parses an exit marker's content (the batch script's exit status as decimal text); nullopt when malformed.
std::optional<int> parse_exit_marker(std::string_view content);

}  // namespace hpcexec::slurm
