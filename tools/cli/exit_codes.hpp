// The exit codes of the `hpcexec` command. They are part of its interface (scripts test them), so they are listed
// in `hpcexec --help` and at the top of main.cpp too; change all three together.
#pragma once

#include <exception>

namespace hpcexec::cli::exit_code {

inline constexpr int success = 0;
/// A job did not complete (wait, status), or a command failed. `run` exits with the command's own status instead.
inline constexpr int job_failed = 1;
/// The command line is wrong (unknown command or option, missing operand).
inline constexpr int usage = 2;
/// The configuration is wrong: syntax, unknown key, unknown cluster, a plugin that cannot be found or loaded.
inline constexpr int config = 3;
/// The cluster could not be reached (or the connection broke).
inline constexpr int connection = 4;
/// The scheduler refused a request or did not answer.
inline constexpr int scheduler = 5;
/// A wait ran out of time (the job or command goes on, or was killed where that is said).
inline constexpr int timeout = 6;
/// Anything else: files, checkpoints, unexpected errors.
inline constexpr int other = 7;

/// The exit code for an error that ended a command (see the table above). Rethrows nothing.
int for_error(const std::exception_ptr& error) noexcept;

}  // namespace hpcexec::cli::exit_code
