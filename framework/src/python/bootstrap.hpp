// How a Python worker is started on the target: the command line with its small bootstrap, and the bytes that
// precede the requests on the worker's standard input (hpcexec's worker source, length-prefixed).
#pragma once

#include <hpcexec/connector.hpp>

#include <string>
#include <string_view>

namespace hpcexec::python {

/// Where and how to start one worker.
struct WorkerLaunch {
    /// The interpreter, a shell command prefix ("python3", "conda run -n env python").
    std::string python_cmd;
    /// The frame format the worker speaks: the serializer's name ("pickle" or "json").
    std::string format;
    /// The worker's starting directory (absolute).
    std::string cwd;
};

/// The source of hpcexec's worker (framework/python/hpcexec_worker.py, embedded at build time).
std::string_view worker_source();

/// The first line a Python interpreter running the bootstrap writes: "hpcexec-python X.Y.Z\n". Anything else
/// means python_cmd is not a Python interpreter.
inline constexpr std::string_view version_line_prefix = "hpcexec-python ";

/// The command that starts a worker in streaming mode: `python_cmd -u -c BOOTSTRAP FORMAT`, in launch.cwd, through
/// the target's shell (python_cmd is a command prefix, as in the original executor). Its stdin_data is the
/// length-prefixed worker source, which every request frame then follows.
CommandSpec worker_command(const WorkerLaunch& launch);

/// The command line (for a batch script) that runs the worker file in one-shot mode.
std::string one_shot_command_line(const std::string& python_cmd, const std::string& format,
                                  const std::string& worker_file, const std::string& request_file,
                                  const std::string& response_file);

}  // namespace hpcexec::python
