// Running Python functions on a cluster's login node, and as batch jobs, from C++.
//
//     auto add = executor->run_python_fn(hpcexec::PythonFunction::ref("operator:add"));
//     hpcexec::Value v = add(1, 2);                                    // 3
//     auto f = executor->run_python_fn(hpcexec::PythonFunction::source("def f(x, k=1):\n  return x * k\n", "f"));
//     f(2, hpcexec::Kwarg{"k", 10});                                   // 20; or f.call({2}, {{"k", 10}})
//     hpcexec::PythonResult r = f.call_with_output({2});               // r.value, r.output (what it printed)
//     hpcexec::List args{2};                                           // in a coroutine (arguments built
//     hpcexec::Value w = co_await f.call_async(args);                  //   first: GCC 12 and braced lists)
//
//     executor->upload_python_package("./mypkg");                      // then PythonFunction::ref("mypkg.mod:fn")
//     hpcexec::PythonJob job = executor->submit_python_fn(fn, {1, 2}); // a batch job
//     hpcexec::Value result = job.value();                             // waits; or co_await job.value_async()
//
// Arguments and results are Values (anything convertible to one: numbers, strings, vectors, maps...); objects C++
// cannot decode (a datetime, a numpy array) come back as opaque Values that can be passed into a later call.
//
// How a call travels: the executor's Python (`python_cmd`) is started with a small bootstrap on its command line
// and receives hpcexec's worker source and the pickled call on its standard input (no command-line length limit,
// no files). By default the workers stay alive on the login node and serve many calls (`python: {workers: N}`,
// N workers per python_cmd, default 2); `python: {workers: 0}` starts one Python process per call, and so does a
// connector that cannot keep processes open. The serializer is the configured one (`python: {serializer:
// {pickle: {protocol: 5}}}`; pickle by default, json possible).
#pragma once

#include <hpcexec/errors.hpp>
#include <hpcexec/export.hpp>
#include <hpcexec/job.hpp>
#include <hpcexec/value.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace hpcexec {

class HpcExecutor;

/// A Python function, by reference or by source.
///
/// OWNERSHIP: a plain value. THREAD: immutable after construction.
class HPCEXEC_API PythonFunction {
public:
    /// A function importable on the target: "package.module:qualname" ("operator:add", "mypkg.util:Parser.parse").
    /// Throws Error when `reference` is not of that form.
    static PythonFunction ref(std::string reference);
    /// A function defined by Python source text: the source is executed once per worker into a module of its own
    /// (cached by the source's hash) and `name` (a qualname: "f" or "Class.method") is looked up in it.
    /// Throws Error when `name` is empty.
    static PythonFunction source(std::string source_text, std::string name);

    bool is_ref() const noexcept { return source_.empty(); }
    /// The reference ("operator:add"), or empty for a function by source.
    const std::string& reference() const noexcept { return reference_; }
    /// The source text, or empty for a function by reference.
    const std::string& source_text() const noexcept { return source_; }
    /// The name looked up in the source (empty for a function by reference).
    const std::string& name() const noexcept { return name_; }
    /// For messages: "operator:add", or "f (from source)".
    std::string display_name() const;

private:
    PythonFunction() = default;
    std::string reference_;
    std::string source_;
    std::string name_;
};

/// One keyword argument: `f(1, Kwarg{"key", 3})`.
struct Kwarg {
    std::string name;
    Value value;
};
/// Keyword arguments in order: `f.call({1}, {{"key", 3}, {"other", "x"}})`.
using Kwargs = std::vector<std::pair<std::string, Value>>;

/// Where and with which interpreter a call runs.
struct PythonCallOptions {
    /// The function's working directory on the target; empty = the executor's work_dir; relative = inside it.
    std::string cwd;
    /// The interpreter (a command line prefix such as "/opt/py39/bin/python" or "conda run -n env python");
    /// empty = the executor's python_cmd.
    std::string python_cmd;
    /// Non-empty: the call is memoised in the executor's checkpoint store under this key (as
    /// HpcExecutor::checkpoint): a recorded value is returned without calling Python (its PythonResult::output is
    /// then empty); otherwise the value is recorded after a successful call. A raised exception is not recorded. A
    /// record that cannot be read throws CheckpointError (never a silent miss).
    std::string checkpoint_key;
};

/// A call's return value and what the function printed (its sys.stdout and sys.stderr, interleaved).
struct PythonResult {
    Value value;
    std::string output;
};

/// What the target's Python reported when it started.
struct PythonInfo {
    /// "3.11.7".
    std::string version;
    /// pickle.HIGHEST_PROTOCOL there.
    int highest_protocol = 0;
    /// sys.executable there.
    std::string executable;
};

/// The Python side could not complete a call: the function raised, or the call could not be set up or answered.
/// what() holds the function, the target, the exception type and message, and the remote traceback.
class HPCEXEC_API PythonError : public Error {
public:
    /// How far the call got.
    enum class Stage {
        /// The worker could not decode the request (e.g. an unpicklable opaque argument) or enter its cwd.
        request,
        /// The function could not be imported or its source not executed (ImportError, SyntaxError, ...).
        function,
        /// The function raised.
        call,
        /// The function returned a value that could not be serialized back.
        result,
    };
    PythonError(Stage stage, std::string function, std::string target, std::string exception_type, std::string message,
                std::string traceback, std::string output);
    ~PythonError() override;

    Stage stage() const noexcept { return stage_; }
    /// The function's display name ("operator:add").
    const std::string& function() const noexcept { return function_; }
    /// Where it ran ("local", "user@host:port").
    const std::string& target() const noexcept { return target_; }
    /// The exception's type: "ZeroDivisionError" for builtins, "module.QualName" for others.
    const std::string& exception_type() const noexcept { return type_; }
    /// str(exception).
    const std::string& message() const noexcept { return message_; }
    /// The remote traceback as Python formats it ("Traceback (most recent call last): ...").
    const std::string& traceback() const noexcept { return traceback_; }
    /// What the function printed before it failed.
    const std::string& output() const noexcept { return output_; }

private:
    Stage stage_;
    std::string function_;
    std::string target_;
    std::string type_;
    std::string message_;
    std::string traceback_;
    std::string output_;
};

/// The target's Python could not be used: python_cmd is missing, is not Python, is too old (< 3.8), cannot read the
/// configured pickle protocol, or the worker process died (during start-up or during a call).
class HPCEXEC_API PythonWorkerError : public Error {
public:
    PythonWorkerError(std::string message, std::string python_cmd, std::string target, int exit_status,
                      std::string stderr_text);
    ~PythonWorkerError() override;
    const std::string& python_cmd() const noexcept { return python_cmd_; }
    const std::string& target() const noexcept { return target_; }
    /// The worker's exit status (128+N for signal N), or -1 when unknown or still running.
    int exit_status() const noexcept { return exit_status_; }
    /// What the worker wrote to its standard error (the end of it).
    const std::string& stderr_text() const noexcept { return stderr_; }

private:
    std::string python_cmd_;
    std::string target_;
    int exit_status_;
    std::string stderr_;
};

/// A Python function bound to an executor and options: what HpcExecutor::run_python_fn returns.
///
/// OWNERSHIP: a cheap value holding its executor. THREAD: const methods, callable from any thread concurrently
/// (the synchronous ones not from the kernel's event loop thread). The *_async forms may be awaited on any
/// executor; the PythonCall must outlive the await.
/// ERRORS: PythonError (the Python side failed), PythonWorkerError (the interpreter could not be used),
/// SerializationError (an argument or the result has no form in the configured serializer), ConnectionError.
class HPCEXEC_API PythonCall {
public:
    PythonCall(std::shared_ptr<HpcExecutor> executor, PythonFunction function, PythonCallOptions options = {});

    /// Calls with positional arguments and Kwarg keyword arguments, in any order: `f(1, 2, Kwarg{"k", 3})`.
    template <class... Args>
    Value operator()(Args&&... args) const {
        List positional;
        Kwargs keywords;
        (add_argument(positional, keywords, std::forward<Args>(args)), ...);
        return call(std::move(positional), std::move(keywords));
    }
    Value call(List args = {}, Kwargs kwargs = {}) const;
    PythonResult call_with_output(List args = {}, Kwargs kwargs = {}) const;
    // The coroutines have overloads instead of default arguments: GCC 12 destroys the temporaries of default
    // arguments twice in a co_awaited call (its bug 99576).
    boost::asio::awaitable<Value> call_async(List args, Kwargs kwargs) const;
    boost::asio::awaitable<Value> call_async(List args) const { return call_async(std::move(args), Kwargs()); }
    boost::asio::awaitable<Value> call_async() const { return call_async(List(), Kwargs()); }
    boost::asio::awaitable<PythonResult> call_with_output_async(List args, Kwargs kwargs) const;
    boost::asio::awaitable<PythonResult> call_with_output_async(List args) const {
        return call_with_output_async(std::move(args), Kwargs());
    }
    boost::asio::awaitable<PythonResult> call_with_output_async() const {
        return call_with_output_async(List(), Kwargs());
    }

    const PythonFunction& function() const noexcept { return function_; }
    const PythonCallOptions& options() const noexcept { return options_; }

private:
    template <class A>
    static void add_argument(List& positional, Kwargs& keywords, A&& argument) {
        if constexpr (std::is_same_v<std::remove_cvref_t<A>, Kwarg>) {
            keywords.emplace_back(argument.name, argument.value);
        } else {
            positional.emplace_back(std::forward<A>(argument));
        }
    }
    std::shared_ptr<HpcExecutor> executor_;
    PythonFunction function_;
    PythonCallOptions options_;
};

/// A Python function running as a batch job (HpcExecutor::submit_python_fn): the Job, and its decoded result.
///
/// The job runs hpcexec's worker in one-shot mode in the job's directory: it reads the call from
/// `<stem>.request`, writes the result (or the exception) to `<stem>.response`, and exits 0 when the function
/// returned, 1 when it raised. What the function prints goes to the job's output file as it runs.
/// OWNERSHIP: a cheap handle like Job. THREAD: as Job.
class HPCEXEC_API PythonJob {
public:
    /// An empty handle, only good for assigning to.
    PythonJob() = default;
    PythonJob(Job job, PythonFunction function, std::string response_path);

    const Job& job() const noexcept { return job_; }
    /// Where the worker writes the result on the target.
    const std::string& response_path() const noexcept { return response_path_; }

    /// Waits for the job, then returns the function's return value. Throws PythonError when the function raised
    /// (read from the response file, also for a FAILED job), Error naming the job's state and output file when the
    /// job ended without a response (cancelled, timed out, killed), TimeoutError when `timeout` passes first.
    Value value(std::optional<std::chrono::milliseconds> timeout = std::nullopt) const;
    boost::asio::awaitable<Value> value_async() const;

private:
    Job job_;
    std::optional<PythonFunction> function_;
    std::string response_path_;
};

/// The executor's Python runner (HpcExecutor::python()): starts and reuses workers, converts calls and results.
///
/// OWNERSHIP: owned by its HpcExecutor; references to it are valid while the executor lives. Its workers are
/// stopped when it is destroyed.
/// THREAD: every method may be called from any thread; the coroutines may be awaited on any executor (their work
/// runs on the kernel's event loop).
class HPCEXEC_API PythonRunner {
public:
    explicit PythonRunner(HpcExecutor& executor);
    ~PythonRunner();
    PythonRunner(const PythonRunner&) = delete;
    PythonRunner& operator=(const PythonRunner&) = delete;

    /// Runs one call. `options` as in PythonCallOptions. (The coroutines take no default arguments: see
    /// PythonCall.)
    boost::asio::awaitable<PythonResult> call_async(PythonFunction function, List args, Kwargs kwargs,
                                                    PythonCallOptions options);

    /// Starts `python_cmd` (empty = the executor's) on the target and checks that it can run hpcexec's worker:
    /// present, Python 3.8 or later, able to read the configured pickle protocol. Throws PythonWorkerError saying
    /// which check failed. Calls check the same on first use; this is for a clear error early.
    PythonInfo check(const std::string& python_cmd = "");
    boost::asio::awaitable<PythonInfo> check_async(std::string python_cmd);

    /// Uploads a local package directory (or a single module file) into the target's package directory
    /// (package_dir()/<name>, replacing an earlier upload of that name), which every worker and Python job puts
    /// first on sys.path. Workers running already are replaced after their current call, so that they import the
    /// new code. Returns the remote path of the uploaded package.
    boost::asio::awaitable<std::string> upload_package_async(std::filesystem::path local_path);

    /// Writes the call and the worker into the job's directory and submits a batch job running it.
    boost::asio::awaitable<PythonJob> submit_async(PythonFunction function, List args, Kwargs kwargs,
                                                   SubmitOptions options, std::string python_cmd);

    /// Decodes a response document (what the worker wrote), returning the result or throwing PythonError.
    PythonResult decode_response(std::string_view bytes, const PythonFunction& function) const;

    /// `<work_dir>/.tmp/python`: where uploaded packages live on the target.
    std::string package_dir();
    /// True when calls go to persistent workers; false when every call starts its own Python (configured with
    /// `workers: 0`, or because the connector cannot keep processes open). Known after the first call.
    bool persistent() const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace hpcexec
