// Python functions as batch jobs: the files a job needs in its directory and the script that runs the worker there
// in one-shot mode.
#pragma once

#include <hpcexec/python.hpp>

#include <string>
#include <string_view>

namespace hpcexec::python {

/// The files of one Python job, absolute paths on the target.
struct PythonJobFiles {
    /// A copy of hpcexec's worker source.
    std::string worker;
    /// The serialized call.
    std::string request;
    /// Where the worker writes the serialized result (or exception).
    std::string response;
};

/// Names the files of a job in `cwd`. With a checkpoint key the names depend only on the key and the request, so
/// that a rerun after a crash, which gets the recorded job back, finds that job's response; without one they are
/// unique, so that two identical calls never share a response file.
PythonJobFiles python_job_files(const std::string& cwd, std::string_view request, const std::string& checkpoint_key);

/// The batch script: runs the worker in one-shot mode in `cwd`; its exit status is the job's (1 when the function
/// raised).
std::string python_job_script(const PythonFunction& function, const std::string& python_cmd, const std::string& format,
                              const std::string& cwd, const PythonJobFiles& files);

}  // namespace hpcexec::python
