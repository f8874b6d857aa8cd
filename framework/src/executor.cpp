#include "exactly_once.hpp"
#include "job_record.hpp"
#include "status_poller.hpp"

#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/logging.hpp>
#include <hpcexec/shell.hpp>

#include <boost/json.hpp>

namespace hpcexec {
namespace json = boost::json;

namespace {

// The name of the tmp directory inside work_dir.
constexpr const char* tmp_dir_name = ".tmp";

bool is_absolute(const std::string& path) { return !path.empty() && path.front() == '/'; }

std::string join_path(const std::string& base, const std::string& path) {
    if (is_absolute(path) || base.empty()) return path;
    if (path.empty() || path == ".") return base;
    return base.back() == '/' ? base + path : base + "/" + path;
}

}  // namespace

HpcExecutor::HpcExecutor(std::shared_ptr<Kernel> kernel, ExecutorConfig config, std::string cluster_name)
    : kernel_(std::move(kernel)), config_(std::move(config)), cluster_name_(std::move(cluster_name)) {}

HpcExecutor::~HpcExecutor() = default;

std::shared_ptr<HpcExecutor> HpcExecutor::from_config(const ExecutorConfig& config, const std::string& cluster_name,
                                                      std::shared_ptr<Kernel> kernel) {
    if (!kernel) kernel = Kernel::shared();
    if (config.log_level) set_log_level(*config.log_level, "log_level");
    kernel->registry().load_search_path(config.plugin_dirs);

    std::shared_ptr<HpcExecutor> executor(new HpcExecutor(kernel, config, cluster_name));
    auto make_context = [&](const std::string& name, const std::string& path, const json::value& options,
                            std::shared_ptr<Connector> connector) {
        return ComponentContext{name, path, options, kernel->loop().executor(), get_logger(name),
                                std::move(connector), cluster_name};
    };

    // The connector: `ssh` (the original's key), an explicit `connector` choice, or local execution.
    if (config.ssh) {
        json::value options = config.to_json().at("ssh");
        executor->connector_ = kernel->registry().create_connector(make_context("ssh", "ssh", options, nullptr));
    } else {
        ComponentChoice choice = config.connector.value_or(ComponentChoice{"local", {}});
        json::value options = choice.options;
        std::string path = config.connector ? "connector." + choice.name : "connector";
        executor->connector_ = kernel->registry().create_connector(make_context(choice.name, path, options, nullptr));
    }
    if (config.queue_system) {
        json::value options = config.queue_system->options;
        executor->queue_system_ = kernel->registry().create_queue_system(make_context(
            config.queue_system->name, "queue_system." + config.queue_system->name, options, executor->connector_));
        // One poller per cluster connection and queue configuration, shared by every executor that names them.
        std::string key = executor->connector_->target() + "\n" + config.queue_system->name + "\n" +
                          json::serialize(options);
        executor->poller_ = StatusPoller::shared_for(*kernel, key, executor->queue_system_,
                                                     config.queue_system->name + " on " +
                                                         executor->connector_->target());
    }
    return executor;
}

std::shared_ptr<HpcExecutor> HpcExecutor::from_config(const json::value& document, const std::string& cluster_name,
                                                      std::shared_ptr<Kernel> kernel) {
    ExecutorConfig config = select_cluster(document, cluster_name);  // its errors already carry the full key path
    try {
        return from_config(config, cluster_name, std::move(kernel));
    } catch (const ConfigError& e) {
        // A plugin reports a bad option with a path inside the cluster's own configuration ("queue_system.slurm.x");
        // in a file with several clusters the path must also say which one ("executors.<name>.queue_system...").
        const bool several_clusters = document.is_object() && document.get_object().contains("executors");
        if (!several_clusters || e.key_path().rfind("executors", 0) == 0) throw;
        // select_cluster succeeded, so an empty name means the file's only cluster.
        std::string name = cluster_name.empty() ? cluster_names(document).front() : cluster_name;
        throw ConfigError("executors." + name + (e.key_path().empty() ? "" : "." + e.key_path()), e.problem());
    }
}

std::shared_ptr<HpcExecutor> HpcExecutor::from_config_text(std::string_view text, const std::string& cluster_name,
                                                           std::shared_ptr<Kernel> kernel) {
    return from_config(parse_config_text(text), cluster_name, std::move(kernel));
}

std::shared_ptr<HpcExecutor> HpcExecutor::from_config_file(const std::filesystem::path& file,
                                                           const std::string& cluster_name,
                                                           std::shared_ptr<Kernel> kernel) {
    return from_config(parse_config_file(file), cluster_name, std::move(kernel));
}

template <class T> T HpcExecutor::sync(boost::asio::awaitable<T> operation) {
    return kernel_->loop().sync_wait(std::move(operation));
}

boost::asio::awaitable<void> HpcExecutor::init_on_loop() {
    {
        std::lock_guard lock(init_mutex_);
        if (initialized_) co_return;
    }
    std::string work_dir = config_.work_dir;
    if (!is_absolute(work_dir)) work_dir = join_path(co_await connector_->home_directory(), work_dir);
    while (work_dir.size() > 1 && work_dir.back() == '/') work_dir.pop_back();
    std::string tmp_dir = join_path(work_dir, tmp_dir_name);
    // mkdir -p of tmp creates work_dir too. Concurrent first calls both get here: mkdir -p is idempotent.
    co_await connector_->mkdir(tmp_dir);
    std::lock_guard lock(init_mutex_);
    work_dir_ = work_dir;
    tmp_dir_ = tmp_dir;
    initialized_ = true;
    get_logger("kernel")->debug("executor {} initialized: work_dir {}", cluster_name_, work_dir_);
}

boost::asio::awaitable<void> HpcExecutor::init_async() { return kernel_->loop().run_on_loop(init_on_loop()); }

void HpcExecutor::init() { sync(init_async()); }

std::string HpcExecutor::work_dir() {
    init();
    std::lock_guard lock(init_mutex_);
    return work_dir_;
}

std::string HpcExecutor::tmp_dir() {
    init();
    std::lock_guard lock(init_mutex_);
    return tmp_dir_;
}

std::string HpcExecutor::resolve_path(const std::string& path) {
    if (is_absolute(path)) return path;
    return join_path(work_dir(), path);
}

boost::asio::awaitable<std::string> HpcExecutor::tmp_dir_async() {
    return kernel_->loop().run_on_loop(tmp_dir_on_loop());
}

boost::asio::awaitable<std::string> HpcExecutor::tmp_dir_on_loop() {
    co_await init_on_loop();
    std::lock_guard lock(init_mutex_);
    co_return tmp_dir_;
}

boost::asio::awaitable<std::string> HpcExecutor::resolve_path_async(std::string path) {
    return kernel_->loop().run_on_loop(resolve_path_on_loop(std::move(path)));
}

boost::asio::awaitable<std::string> HpcExecutor::resolve_path_on_loop(std::string path) {
    if (is_absolute(path)) co_return path;
    co_await init_on_loop();
    std::lock_guard lock(init_mutex_);
    co_return join_path(work_dir_, path);
}

boost::asio::awaitable<CommandResult> HpcExecutor::run_on_loop(CommandSpec spec, std::string shown_command,
                                                               bool check) {
    co_await init_on_loop();
    {
        std::lock_guard lock(init_mutex_);
        spec.cwd = join_path(work_dir_, spec.cwd);
    }
    CommandResult result = co_await connector_->run(std::move(spec));
    if (check && !result.ok()) {
        throw CommandFailed(connector_->target(), shown_command, result.exit_status, std::move(result.stdout_data),
                            std::move(result.stderr_data), result.timed_out);
    }
    co_return result;
}

boost::asio::awaitable<CommandResult> HpcExecutor::run_async(std::string command, RunOptions options) {
    CommandSpec spec{command, options.cwd, std::move(options.env), std::move(options.stdin_data), options.timeout};
    return kernel_->loop().run_on_loop(run_on_loop(std::move(spec), command, options.check));
}

boost::asio::awaitable<CommandResult> HpcExecutor::run_argv_async(std::vector<std::string> argv, RunOptions options) {
    if (argv.empty()) throw Error("run_argv: the argument vector is empty");
    std::string shown = shell_join(argv);
    CommandSpec spec{std::move(argv), options.cwd, std::move(options.env), std::move(options.stdin_data),
                     options.timeout};
    return kernel_->loop().run_on_loop(run_on_loop(std::move(spec), shown, options.check));
}

CommandResult HpcExecutor::run(const std::string& command, const RunOptions& options) {
    return sync(run_async(command, options));
}

CommandResult HpcExecutor::run_argv(const std::vector<std::string>& argv, const RunOptions& options) {
    return sync(run_argv_async(argv, options));
}

void HpcExecutor::mkdir(const std::string& path) { sync(connector_->mkdir(resolve_path(path))); }

void HpcExecutor::dump_text(const std::string& text, const std::string& path) {
    sync(connector_->write_file(resolve_path(path), text));
}

std::string HpcExecutor::load_text(const std::string& path) { return sync(connector_->read_file(resolve_path(path))); }

std::vector<std::string> HpcExecutor::glob(const std::string& pattern) {
    return sync(connector_->glob(resolve_path(pattern)));
}

void HpcExecutor::upload(const std::filesystem::path& local_path, const std::string& remote_path) {
    sync(connector_->upload(std::filesystem::absolute(local_path).string(), resolve_path(remote_path)));
}

void HpcExecutor::download(const std::string& remote_path, const std::filesystem::path& local_path) {
    sync(connector_->download(resolve_path(remote_path), std::filesystem::absolute(local_path).string()));
}

boost::asio::awaitable<Job> HpcExecutor::submit_async(std::string script, SubmitOptions options) {
    return kernel_->loop().run_on_loop(submit_on_loop(std::move(script), std::move(options)));
}

boost::asio::awaitable<Job> HpcExecutor::submit_on_loop(std::string script, SubmitOptions options) {
    if (!queue_system_) throw ConfigError("queue_system", "this executor has no queue system configured; cannot submit");
    co_await init_on_loop();
    SubmitRequest request;
    request.script = std::move(script);
    {
        std::lock_guard lock(init_mutex_);
        request.cwd = join_path(work_dir_, options.cwd);
    }
    request.token = std::move(options.token);
    request.extra_args = std::move(options.extra_args);
    if (!options.checkpoint_key.empty()) {
        auto store = checkpoint_store();
        co_return co_await submit_exactly_once(*this, *store, options.checkpoint_key, std::move(request));
    }
    co_return co_await submit_request_on_loop(std::move(request));
}

boost::asio::awaitable<Job> HpcExecutor::submit_request_async(SubmitRequest request) {
    return kernel_->loop().run_on_loop(submit_request_on_loop(std::move(request)));
}

boost::asio::awaitable<Job> HpcExecutor::submit_request_on_loop(SubmitRequest request) {
    if (!queue_system_) throw ConfigError("queue_system", "this executor has no queue system configured; cannot submit");
    auto record = std::make_shared<JobRecord>();
    record->ref = co_await queue_system_->submit(request);
    record->request = std::move(request);
    poller_->track(record);
    co_return Job(shared_from_this(), std::move(record));
}

std::shared_ptr<CheckpointStore> HpcExecutor::checkpoint_store() {
    std::lock_guard lock(checkpoint_mutex_);
    if (checkpoint_store_) return checkpoint_store_;
    ComponentChoice choice;
    if (config_.checkpoint) {
        choice = *config_.checkpoint;
    } else {
        const char* home = std::getenv("HOME");
        choice = ComponentChoice{"sqlite", {{"path", std::string(home ? home : "/tmp") + "/.hpcexec/checkpoints.sqlite"}}};
    }
    json::value options = choice.options;
    ComponentContext context{choice.name, "checkpoint." + choice.name, options, kernel_->loop().executor(),
                             get_logger(choice.name), connector_, cluster_name_};
    checkpoint_store_ = kernel_->registry().create_checkpoint_store(context);
    return checkpoint_store_;
}

Job HpcExecutor::attach(const JobRef& ref, const std::string& script) {
    if (!queue_system_) throw ConfigError("queue_system", "this executor has no queue system configured; cannot attach");
    auto record = std::make_shared<JobRecord>();
    record->ref = ref;
    record->request.script = script;
    record->request.cwd = ref.cwd;
    poller_->track(record);
    return Job(shared_from_this(), std::move(record));
}

Job HpcExecutor::submit(const std::string& script, const SubmitOptions& options) {
    return sync(submit_async(script, options));
}

// ---- Python functions: thin entry points to the PythonRunner (framework/src/python/) -------------------------------

PythonRunner& HpcExecutor::python() {
    std::lock_guard lock(python_mutex_);
    if (!python_) python_ = std::make_unique<PythonRunner>(*this);
    return *python_;
}

PythonCall HpcExecutor::run_python_fn(PythonFunction function, PythonCallOptions options) {
    python();  // a configuration problem shows here rather than at the first call
    return PythonCall(shared_from_this(), std::move(function), std::move(options));
}

boost::asio::awaitable<PythonJob> HpcExecutor::submit_python_fn_async(PythonFunction function, List args,
                                                                      Kwargs kwargs, SubmitOptions options) {
    co_return co_await python().submit_async(std::move(function), std::move(args), std::move(kwargs),
                                             std::move(options), "");
}

PythonJob HpcExecutor::submit_python_fn(const PythonFunction& function, const List& args, const Kwargs& kwargs,
                                        const SubmitOptions& options) {
    return sync(submit_python_fn_async(function, args, kwargs, options));
}

std::string HpcExecutor::upload_python_package(const std::filesystem::path& local_path) {
    return sync(python().upload_package_async(local_path));
}

}  // namespace hpcexec
