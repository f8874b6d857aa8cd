// HpcExecutor: the user's handle on one cluster: run commands on its login node, move files, submit jobs.
#pragma once

#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/config.hpp>
#include <hpcexec/connector.hpp>
#include <hpcexec/export.hpp>
#include <hpcexec/job.hpp>
#include <hpcexec/kernel.hpp>
#include <hpcexec/python.hpp>
#include <hpcexec/queue_system.hpp>
#include <hpcexec/serializer.hpp>
#include <hpcexec/value.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace hpcexec {

class StatusPoller;

/// Options of HpcExecutor::run.
struct RunOptions {
    /// Working directory; empty = the executor's work_dir. A relative path is relative to work_dir.
    std::string cwd;
    std::map<std::string, std::string> env;
    std::string stdin_data;
    std::optional<std::chrono::milliseconds> timeout;
    /// True (default): a non-zero exit status throws CommandFailed. False: the result is returned as it is.
    bool check = true;
};

/// One cluster, reached through its connector, with its queue system.
///
/// OWNERSHIP: created by from_config as a shared_ptr; jobs and other long-lived objects keep it alive. It holds its
/// components and the kernel (declared first, so the kernel outlives the components).
/// THREAD: every method may be called from any thread, concurrently. The synchronous methods block the calling
/// thread and must not be called on the kernel's event loop thread (use the *_async forms in coroutines).
/// ERRORS: ConfigError (with key path) from from_config; ConnectionError/ConnectionLost when the target cannot be
/// reached; CommandFailed for a failing command; FileError for file operations (with the target's reason).
class HPCEXEC_API HpcExecutor : public std::enable_shared_from_this<HpcExecutor> {
public:
    /// Builds an executor from a parsed document (JSON value; YAML is parsed to the same value), choosing
    /// `cluster_name` in a multi-cluster document. Loads the plugins it needs and creates its components
    /// (creating a connector does not connect).
    static std::shared_ptr<HpcExecutor> from_config(const boost::json::value& document,
                                                    const std::string& cluster_name = "",
                                                    std::shared_ptr<Kernel> kernel = nullptr);
    /// The same from the typed form.
    static std::shared_ptr<HpcExecutor> from_config(const ExecutorConfig& config, const std::string& cluster_name = "",
                                                    std::shared_ptr<Kernel> kernel = nullptr);
    /// The same from JSON or YAML text.
    static std::shared_ptr<HpcExecutor> from_config_text(std::string_view text, const std::string& cluster_name = "",
                                                         std::shared_ptr<Kernel> kernel = nullptr);
    /// The same from a JSON or YAML file.
    static std::shared_ptr<HpcExecutor> from_config_file(const std::filesystem::path& file,
                                                         const std::string& cluster_name = "",
                                                         std::shared_ptr<Kernel> kernel = nullptr);

    ~HpcExecutor();
    HpcExecutor(const HpcExecutor&) = delete;
    HpcExecutor& operator=(const HpcExecutor&) = delete;

    /// Resolves work_dir (a relative one against the target's home) and creates it and its tmp directory.
    /// Idempotent. Called implicitly by the first operation that needs work_dir.
    void init();
    boost::asio::awaitable<void> init_async();

    /// Runs a shell command line on the login node (in work_dir unless options.cwd says otherwise).
    CommandResult run(const std::string& command, const RunOptions& options = {});
    boost::asio::awaitable<CommandResult> run_async(std::string command, RunOptions options = {});
    /// Runs a program with arguments, no shell involved (every argument reaches the program literally).
    CommandResult run_argv(const std::vector<std::string>& argv, const RunOptions& options = {});
    boost::asio::awaitable<CommandResult> run_argv_async(std::vector<std::string> argv, RunOptions options = {});

    /// File operations on the target. A relative path is relative to work_dir.
    void mkdir(const std::string& path);
    void dump_text(const std::string& text, const std::string& path);
    std::string load_text(const std::string& path);
    std::vector<std::string> glob(const std::string& pattern);
    void upload(const std::filesystem::path& local_path, const std::string& remote_path);
    void download(const std::string& remote_path, const std::filesystem::path& local_path);

    /// Submits a batch script (with its #SBATCH lines) through the queue system. The script is written into
    /// options.cwd (default work_dir) as job-<content hash>.sbatch and submitted there; the returned Job is tracked
    /// by the cluster's status poller. Throws SchedulerError with the scheduler's own message when it refuses.
    Job submit(const std::string& script, const SubmitOptions& options = {});
    boost::asio::awaitable<Job> submit_async(std::string script, SubmitOptions options = {});

    /// Submits a prepared request as it is (cwd absolute, token set or empty), without the checkpoint protocol.
    boost::asio::awaitable<Job> submit_request_async(SubmitRequest request);

    /// The checkpoint store (created on first use from the `checkpoint` configuration).
    /// Throws ConfigError/PluginError when it cannot be created, CheckpointError when it cannot be opened.
    std::shared_ptr<CheckpointStore> checkpoint_store();

    /// Memoisation (the original's apply_checkpoint): returns the result recorded under `key` if there is one,
    /// else calls fn(), records its result and returns it. The result type must convert to and from Value
    /// (numbers, strings, containers, optionals, or any type with a ValueConversion). Exceptions are not recorded:
    /// a failed call runs again next time. A record that cannot be read throws CheckpointError (never a miss).
    template <class F>
    auto checkpoint(const std::string& key, F&& fn) -> std::invoke_result_t<F> {
        using Result = std::invoke_result_t<F>;
        if (auto recorded = load_checkpointed_value(key)) return recorded->template to<Result>();
        Result result = std::forward<F>(fn)();
        store_checkpointed_value(key, Value(result));
        return result;
    }
    /// The value recorded under `key`, or nothing. Throws CheckpointError for a record that cannot be read.
    std::optional<Value> load_checkpointed_value(const std::string& key);
    /// Records `value` under `key` (replacing what was there).
    void store_checkpointed_value(const std::string& key, const Value& value);
    /// The serializer of memoised values (created on first use: `pickle`, which holds every Value kind).
    std::shared_ptr<Serializer> value_serializer();

    /// Tracks a job submitted earlier (by this or another process) from its reference, e.g. after a restart.
    /// `script` is what resubmit() will submit again (without it, resubmit() throws).
    Job attach(const JobRef& ref, const std::string& script = {});

    /// The absolute work_dir and its tmp directory (valid after init()).
    std::string work_dir();
    std::string tmp_dir();
    /// The target path for `path`: itself when absolute, else work_dir/path.
    std::string resolve_path(const std::string& path);
    /// The same for coroutines (also on the kernel's loop, where the synchronous forms cannot wait for init()).
    boost::asio::awaitable<std::string> tmp_dir_async();
    boost::asio::awaitable<std::string> resolve_path_async(std::string path);

    /// Python functions on the login node and as batch jobs (hpcexec/python.hpp); the runner is created on first
    /// use from the `python` configuration section (throws ConfigError/PluginError when it cannot be).
    PythonRunner& python();
    /// `executor->run_python_fn(PythonFunction::ref("operator:add"))(1, 2)` gives 3.
    PythonCall run_python_fn(PythonFunction function, PythonCallOptions options = {});
    /// Runs a Python function as a batch job; PythonJob::value() gives its result once it has ended.
    PythonJob submit_python_fn(const PythonFunction& function, const List& args = {}, const Kwargs& kwargs = {},
                               const SubmitOptions& options = {});
    /// (No default arguments on coroutines: GCC 12 destroys their temporaries twice in a co_awaited call.)
    boost::asio::awaitable<PythonJob> submit_python_fn_async(PythonFunction function, List args, Kwargs kwargs,
                                                             SubmitOptions options);
    /// Uploads a local package directory (or one module file) that functions by reference can then import, on
    /// the login node and in Python jobs. Returns its remote path.
    std::string upload_python_package(const std::filesystem::path& local_path);

    const std::string& cluster_name() const noexcept { return cluster_name_; }
    const ExecutorConfig& config() const noexcept { return config_; }
    const std::shared_ptr<Kernel>& kernel() const noexcept { return kernel_; }
    const std::shared_ptr<Connector>& connector() const noexcept { return connector_; }
    /// The queue system, or null when none is configured.
    const std::shared_ptr<QueueSystem>& queue_system() const noexcept { return queue_system_; }

    /// The status poller shared by every executor of this cluster connection (null without a queue system).
    /// Internal to the framework (its type is not part of the public API).
    const std::shared_ptr<StatusPoller>& status_poller() const noexcept { return poller_; }

private:
    HpcExecutor(std::shared_ptr<Kernel> kernel, ExecutorConfig config, std::string cluster_name);
    // The bodies of the public *_async methods, which run them on the kernel's loop (EventLoop::run_on_loop): the
    // connector and the queue system are only ever used from the loop thread.
    boost::asio::awaitable<void> init_on_loop();
    boost::asio::awaitable<CommandResult> run_on_loop(CommandSpec spec, std::string shown_command, bool check);
    boost::asio::awaitable<Job> submit_on_loop(std::string script, SubmitOptions options);
    boost::asio::awaitable<Job> submit_request_on_loop(SubmitRequest request);
    boost::asio::awaitable<std::string> tmp_dir_on_loop();
    boost::asio::awaitable<std::string> resolve_path_on_loop(std::string path);
    template <class T> T sync(boost::asio::awaitable<T> operation);

    std::shared_ptr<Kernel> kernel_;  // first: destroyed last
    ExecutorConfig config_;
    std::string cluster_name_;
    std::shared_ptr<Connector> connector_;
    std::shared_ptr<QueueSystem> queue_system_;
    std::shared_ptr<StatusPoller> poller_;
    std::mutex checkpoint_mutex_;
    std::shared_ptr<CheckpointStore> checkpoint_store_;
    std::shared_ptr<Serializer> value_serializer_;
    std::mutex init_mutex_;
    bool initialized_ = false;
    std::string work_dir_;
    std::string tmp_dir_;
    std::mutex python_mutex_;
    std::unique_ptr<PythonRunner> python_;  // after the connector: its workers stop before the connector goes
};

}  // namespace hpcexec
