// The batch script file hpcexec writes for a job: its content-hash name and its exit marker.
#pragma once

#include <string>
#include <string_view>

namespace hpcexec::slurm {

/// "job-<16 hex digits>.sbatch": the same script text always gets the same name, as in the original executor.
std::string script_file_name(std::string_view script);

/// The name of the file in which job `job_id` records its batch script's exit status, beside the script.
std::string exit_marker_name(std::string_view script_name, std::string_view job_id);

/// Returns `script` with a few lines added after its header (shebang, #SBATCH and comment lines) that record the
/// script's exit status in `<directory>/<exit_marker_name(script_name, $SLURM_JOB_ID)>` when it exits, whatever way
/// it exits (an EXIT trap). Scripts whose interpreter is not a POSIX shell are returned unchanged: their end is
/// then known from Slurm alone.
std::string with_exit_marker(std::string_view script, std::string_view directory, std::string_view script_name);

}  // namespace hpcexec::slurm
