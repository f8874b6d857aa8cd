// PythonRunner: turns calls into requests, sends them to a persistent worker pool or to a Python process of their
// own, and turns responses into results or PythonErrors. Also uploads packages and submits Python jobs.
#include "python/bootstrap.hpp"
#include "python/per_call_worker.hpp"
#include "python/python_job.hpp"
#include "python/worker_pool.hpp"
#include "python/worker_protocol.hpp"

#include <hpcexec/executor.hpp>
#include <hpcexec/logging.hpp>
#include <hpcexec/python.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <map>

namespace hpcexec {
namespace {

constexpr std::int64_t default_workers = 2;
constexpr std::chrono::milliseconds default_start_timeout{60000};
// The serializers the worker can decode (see _codec in framework/python/hpcexec_worker.py).
constexpr const char* worker_formats[] = {"pickle", "json"};

std::shared_ptr<Serializer> make_serializer(HpcExecutor& executor, const PythonConfig& config) {
    ComponentChoice choice = config.serializer.value_or(ComponentChoice{"pickle", {}});
    std::string path = "python.serializer." + choice.name;
    if (std::find(std::begin(worker_formats), std::end(worker_formats), choice.name) == std::end(worker_formats)) {
        throw ConfigError(path, "the Python worker reads pickle or json, not " + choice.name);
    }
    boost::json::value options = choice.options;
    ComponentContext context{choice.name,
                             path,
                             options,
                             executor.kernel()->loop().executor(),
                             get_logger(choice.name),
                             executor.connector(),
                             executor.cluster_name()};
    return executor.kernel()->registry().create_serializer(context);
}

}  // namespace

struct PythonRunner::Impl {
    Impl(HpcExecutor& owner, const PythonConfig& config)
        : executor(owner),
          kernel(owner.kernel()),
          connector(owner.connector()),
          serializer(make_serializer(owner, config)),
          workers(static_cast<std::size_t>(config.workers.value_or(default_workers))),
          start_timeout(config.start_timeout.value_or(default_start_timeout)),
          required_protocol(python::written_pickle_protocol(*serializer)),
          logger(get_logger("python")) {}

    HpcExecutor& executor;
    std::shared_ptr<Kernel> kernel;
    std::shared_ptr<Connector> connector;
    std::shared_ptr<Serializer> serializer;
    std::size_t workers;
    std::chrono::milliseconds start_timeout;
    int required_protocol;
    std::shared_ptr<spdlog::logger> logger;
    /// Cleared when the connector turns out to be unable to keep processes open.
    std::atomic<bool> start_supported{true};
    /// One pool per python_cmd. Touched on the kernel's loop only.
    std::map<std::string, std::unique_ptr<python::WorkerPool>> pools;

    bool persistent() const { return workers > 0 && start_supported; }

    std::string python_cmd_or_default(const std::string& python_cmd) const {
        return python_cmd.empty() ? executor.config().python_cmd : python_cmd;
    }

    boost::asio::awaitable<std::string> package_dir() {
        std::string tmp_dir = co_await executor.tmp_dir_async();
        co_return tmp_dir + "/python";
    }

    boost::asio::awaitable<python::WorkerSettings> settings_for(std::string python_cmd) {
        // (GCC 12 mishandles temporaries of a braced initializer that holds a co_await: keep them apart.)
        std::string work_dir = co_await executor.resolve_path_async("");
        python::WorkerSettings settings;
        settings.launch.python_cmd = std::move(python_cmd);
        settings.launch.format = serializer->name();
        settings.launch.cwd = std::move(work_dir);
        settings.target = connector->target();
        settings.serializer = serializer;
        settings.required_protocol = required_protocol;
        settings.start_timeout = start_timeout;
        co_return settings;
    }

    python::WorkerPool& pool_for(const std::string& python_cmd, const python::WorkerSettings& settings) {
        auto& pool = pools[python_cmd];
        if (!pool) pool = std::make_unique<python::WorkerPool>(connector, settings, workers);
        return *pool;
    }

    void note_start_unsupported(const std::string& reason) {
        if (start_supported.exchange(false)) {
            logger->info("{}: no persistent Python workers ({}); starting one Python process per call",
                         connector->target(), reason);
        }
    }

    /// Sends a request to python_cmd's Python and returns the response payload.
    boost::asio::awaitable<std::string> exchange(std::string python_cmd, std::string request) {
        python::WorkerSettings settings = co_await settings_for(python_cmd);
        if (persistent()) {
            std::string unsupported;
            try {
                co_return co_await pool_for(python_cmd, settings).call(request);
            } catch (const python::StartUnsupported& error) {
                unsupported = error.what();
            }
            note_start_unsupported(unsupported);
        }
        co_return co_await python::call_in_new_process(*connector, settings, std::move(request));
    }

    boost::asio::awaitable<PythonInfo> check([[maybe_unused]] std::shared_ptr<HpcExecutor> keep_alive,
                                             std::string python_cmd) {
        python_cmd = python_cmd_or_default(python_cmd);
        python::WorkerSettings settings = co_await settings_for(python_cmd);
        if (persistent()) {
            std::string unsupported;
            try {
                co_return co_await pool_for(python_cmd, settings).check();
            } catch (const python::StartUnsupported& error) {
                unsupported = error.what();
            }
            note_start_unsupported(unsupported);
        }
        co_return co_await python::check_in_new_process(*connector, settings);
    }

    /// The serialized request of a call (cwd resolved against work_dir).
    boost::asio::awaitable<std::string> request_for(const PythonFunction& function, List args, const Kwargs& kwargs,
                                                    const std::string& cwd) {
        std::string absolute_cwd = co_await executor.resolve_path_async(cwd);
        std::string packages = co_await package_dir();
        std::vector<std::string> sys_path{packages};
        co_return serializer->serialize(
            python::make_request(function, std::move(args), kwargs, absolute_cwd, sys_path));
    }

    PythonResult decode(std::string_view bytes, const PythonFunction& function) const {
        return python::read_response(serializer->deserialize(bytes), function, connector->target());
    }

    boost::asio::awaitable<PythonResult> call([[maybe_unused]] std::shared_ptr<HpcExecutor> keep_alive,
                                              PythonFunction function, List args, Kwargs kwargs,
                                              PythonCallOptions options) {
        // (The checkpoint store is local and synchronous: reading it here on the loop takes no remote round trip.)
        if (!options.checkpoint_key.empty()) {
            if (auto recorded = executor.load_checkpointed_value(options.checkpoint_key)) {
                co_return PythonResult{std::move(*recorded), std::string()};
            }
        }
        std::string request = co_await request_for(function, std::move(args), kwargs, options.cwd);
        std::string response = co_await exchange(python_cmd_or_default(options.python_cmd), std::move(request));
        PythonResult result = decode(response, function);  // a Python exception throws here: nothing is recorded
        if (!options.checkpoint_key.empty()) executor.store_checkpointed_value(options.checkpoint_key, result.value);
        co_return result;
    }

    boost::asio::awaitable<std::string> upload_package([[maybe_unused]] std::shared_ptr<HpcExecutor> keep_alive,
                                                       std::filesystem::path local_path) {
        local_path = std::filesystem::absolute(local_path).lexically_normal();
        if (!local_path.has_filename()) local_path = local_path.parent_path();  // "pkg/" names "pkg"
        auto status = std::filesystem::status(local_path);
        bool module_file = std::filesystem::is_regular_file(status) && local_path.extension() == ".py";
        if (!std::filesystem::is_directory(status) && !module_file) {
            throw Error("upload_python_package: " + local_path.string() +
                        " is neither a package directory nor a .py module file");
        }
        std::string directory = co_await package_dir();
        std::string remote = directory + "/" + local_path.filename().string();
        co_await connector->mkdir(directory);
        co_await connector->remove(remote, true);  // no stale modules of an earlier upload
        co_await connector->upload(local_path.string(), remote);
        // Workers that imported an earlier upload keep it in sys.modules: replace them.
        for (auto& [python_cmd, pool] : pools) pool->retire_all();
        co_return remote;
    }

    boost::asio::awaitable<PythonJob> submit([[maybe_unused]] std::shared_ptr<HpcExecutor> keep_alive,
                                             PythonFunction function, List args, Kwargs kwargs, SubmitOptions options,
                                             std::string python_cmd) {
        std::string cwd = co_await executor.resolve_path_async(options.cwd);
        std::string request = co_await request_for(function, std::move(args), kwargs, cwd);
        python::PythonJobFiles files = python::python_job_files(cwd, request, options.checkpoint_key);
        co_await connector->mkdir(cwd);
        co_await connector->write_file(files.worker, std::string(python::worker_source()));
        co_await connector->write_file(files.request, std::move(request));
        std::string script =
            python::python_job_script(function, python_cmd_or_default(python_cmd), serializer->name(), cwd, files);
        options.cwd = cwd;
        Job job = co_await executor.submit_async(std::move(script), std::move(options));
        co_return PythonJob(std::move(job), std::move(function), files.response);
    }
};

namespace {

/// Runs `operation` on the kernel's loop, where the runner's state lives; the caller resumes on its own executor.
template <class T>
boost::asio::awaitable<T> on_loop(Kernel& kernel, boost::asio::awaitable<T> operation) {
    return kernel.loop().run_on_loop(std::move(operation));
}

}  // namespace

PythonRunner::PythonRunner(HpcExecutor& executor)
    : impl_(std::make_shared<Impl>(executor, executor.config().python.value_or(PythonConfig{}))) {}

PythonRunner::~PythonRunner() {
    // The pools' processes belong to the loop (RemoteProcess objects are used and destroyed there).
    auto& loop = impl_->kernel->loop();
    if (loop.in_loop_thread()) {
        impl_->pools.clear();
    } else {
        loop.sync_wait([](std::shared_ptr<Impl> impl) -> boost::asio::awaitable<void> {
            impl->pools.clear();
            co_return;
        }(impl_));
    }
}

boost::asio::awaitable<PythonResult> PythonRunner::call_async(PythonFunction function, List args, Kwargs kwargs,
                                                              PythonCallOptions options) {
    co_return co_await on_loop(*impl_->kernel, impl_->call(impl_->executor.shared_from_this(), std::move(function),
                                                           std::move(args), std::move(kwargs), std::move(options)));
}

boost::asio::awaitable<PythonInfo> PythonRunner::check_async(std::string python_cmd) {
    co_return co_await on_loop(*impl_->kernel, impl_->check(impl_->executor.shared_from_this(), std::move(python_cmd)));
}

PythonInfo PythonRunner::check(const std::string& python_cmd) {
    return impl_->kernel->loop().sync_wait(check_async(python_cmd));
}

boost::asio::awaitable<std::string> PythonRunner::upload_package_async(std::filesystem::path local_path) {
    co_return co_await on_loop(*impl_->kernel,
                               impl_->upload_package(impl_->executor.shared_from_this(), std::move(local_path)));
}

boost::asio::awaitable<PythonJob> PythonRunner::submit_async(PythonFunction function, List args, Kwargs kwargs,
                                                             SubmitOptions options, std::string python_cmd) {
    co_return co_await on_loop(*impl_->kernel,
                               impl_->submit(impl_->executor.shared_from_this(), std::move(function), std::move(args),
                                             std::move(kwargs), std::move(options), std::move(python_cmd)));
}

PythonResult PythonRunner::decode_response(std::string_view bytes, const PythonFunction& function) const {
    return impl_->decode(bytes, function);
}

std::string PythonRunner::package_dir() {
    return impl_->kernel->loop().sync_wait(on_loop(*impl_->kernel, impl_->package_dir()));
}

bool PythonRunner::persistent() const {
    return impl_->persistent();
}

}  // namespace hpcexec
