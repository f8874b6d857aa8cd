// PythonJob, and the files and script of a Python batch job.
#include "python/python_job.hpp"

#include "python/bootstrap.hpp"

#include <hpcexec/executor.hpp>
#include <hpcexec/shell.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <random>

namespace hpcexec {
namespace python {
namespace {

// FNV-1a: a stable content hash for file names (not a security boundary).
std::uint64_t fnv1a64(std::string_view data, std::uint64_t hash = 0xcbf29ce484222325ULL) {
    for (unsigned char c : data) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

std::string hex64(std::uint64_t value) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(value));
    return hex;
}

}  // namespace

PythonJobFiles python_job_files(const std::string& cwd, std::string_view request, const std::string& checkpoint_key) {
    std::uint64_t hash = fnv1a64(request);
    if (checkpoint_key.empty()) {
        std::random_device random;
        hash = fnv1a64(hex64((std::uint64_t{random()} << 32) | random()), hash);
    } else {
        hash = fnv1a64(checkpoint_key, hash);
    }
    std::string stem = cwd + "/pyjob-" + hex64(hash);
    return PythonJobFiles{stem + ".worker.py", stem + ".request", stem + ".response"};
}

std::string python_job_script(const PythonFunction& function, const std::string& python_cmd, const std::string& format,
                              const std::string& cwd, const PythonJobFiles& files) {
    // No `exec`: the queue system's exit-status recording runs when this shell exits.
    std::string name = function.display_name();
    for (char& c : name) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return "#!/bin/bash\n"
           "# hpcexec: the Python function " +
           name + " as a batch job; the result goes to " + files.response +
           "\n"
           "cd " +
           shell_quote(cwd) + " || exit 1\n" +
           one_shot_command_line(python_cmd, format, files.worker, files.request, files.response) + "\n";
}

namespace {

boost::asio::awaitable<Value> read_job_value(Job job, PythonFunction function, std::string response_path) {
    JobStatus status = co_await job.result_async();
    const auto& executor = job.executor();
    const auto& connector = executor->connector();
    // The worker writes the response for a raised exception too (and exits 1: a FAILED job).
    auto response_info = co_await connector->stat(response_path);  // (bound first: GCC 12 and co_await in if)
    if (response_info) {
        std::string response = co_await connector->read_file(response_path);
        co_return executor->python().decode_response(response, function).value;
    }
    std::string message = "the Python job " + job.id() + " (" + function.display_name() + ") ended " +
                          std::string(to_string(status.state));
    if (status.exit_code) message += " with exit code " + std::to_string(*status.exit_code);
    message += " without a result (no " + response_path + "); its output is in " + job.ref().cwd + "/slurm-" +
               job.id() + ".out unless the job set another";
    throw Error(message);
}

}  // namespace
}  // namespace python

PythonJob::PythonJob(Job job, PythonFunction function, std::string response_path)
    : job_(std::move(job)), function_(std::move(function)), response_path_(std::move(response_path)) {}

boost::asio::awaitable<Value> PythonJob::value_async() const {
    if (!function_) throw Error("PythonJob::value_async: an empty PythonJob handle");
    // Runs on the kernel's loop (where the connector works); this coroutine resumes on its own executor.
    co_return co_await boost::asio::co_spawn(job_.executor()->kernel()->loop().executor(),
                                             python::read_job_value(job_, *function_, response_path_),
                                             boost::asio::use_awaitable);
}

Value PythonJob::value(std::optional<std::chrono::milliseconds> timeout) const {
    if (!function_) throw Error("PythonJob::value: an empty PythonJob handle");
    job_.result(timeout);  // throws TimeoutError when the job is still running at the timeout
    return job_.executor()->kernel()->loop().sync_wait(value_async());
}

}  // namespace hpcexec
