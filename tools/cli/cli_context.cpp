#include "cli_context.hpp"

#include <hpcexec/config.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/logging.hpp>

#include <boost/json/serialize.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>

namespace hpcexec::cli {
namespace {

boost::asio::awaitable<void> nothing() { co_return; }

}  // namespace

std::shared_ptr<HpcExecutor> make_executor(const boost::json::value& document, const std::string& cluster) {
    auto executor = HpcExecutor::from_config(document, cluster);  // key paths point into the file
    // The checkpoint store is created only when a command uses it (creating it opens or creates its files), but a
    // misspelled store name is a configuration error to report now.
    const auto& checkpoint = executor->config().checkpoint;
    const auto& registry = executor->kernel()->registry();
    if (checkpoint && !registry.has(plugin::ComponentKind::checkpoint_store, checkpoint->name)) {
        std::string known;
        for (const auto& name : registry.names(plugin::ComponentKind::checkpoint_store)) {
            known += (known.empty() ? "" : ", ") + name;
        }
        std::string path = "checkpoint";
        if (document.is_object() && document.get_object().contains("executors")) {
            path = "executors." + (cluster.empty() ? cluster_names(document).front() : cluster) + ".checkpoint";
        }
        throw ConfigError(path, "unknown checkpoint store '" + checkpoint->name + "' (known: " +
                                    (known.empty() ? "none" : known) + ")");
    }
    return executor;
}

CliContext::CliContext(po::variables_map options) : options_(std::move(options)) {
    operands_ = operands_of(options_);
    cluster_ = string_option("cluster");
    if (options_.count("config")) {
        config_file_ = options_["config"].as<std::string>();
        config_file_named_ = true;
    } else if (const char* from_environment = std::getenv("HPCEXEC_CONFIG"); from_environment && *from_environment) {
        config_file_ = from_environment;
        config_file_named_ = true;
    } else {
        config_file_ = "hpcexec.yaml";
    }
    apply_log_level();
}

CliContext::~CliContext() {
    if (!executor_) return;
    // A value that a synchronous executor call returns is also released by the event loop's thread, after the caller
    // has it (a Job, for one, holds its executor, which holds the kernel). Were the loop thread to drop the last
    // reference, the kernel would be destroyed there, and its loop thread cannot join itself: std::terminate (seen
    // after `submit`). So: keep the kernel, drop the executor, let the loop finish what it is running (a round trip
    // through it), and release the kernel here, last.
    auto kernel = executor_->kernel();
    executor_.reset();
    try {
        kernel->loop().sync_wait(nothing());
    } catch (...) {  // a destructor must not throw; the loop is going away anyway
    }
}

bool CliContext::flag(const std::string& name) const {
    return options_.count(name) && options_[name].as<bool>();
}

std::string CliContext::string_option(const std::string& name, const std::string& fallback) const {
    return options_.count(name) ? options_[name].as<std::string>() : fallback;
}

std::optional<std::chrono::milliseconds> CliContext::seconds_option(const std::string& name) const {
    if (!options_.count(name)) return std::nullopt;
    const std::string& text = options_[name].as<std::string>();
    char* end = nullptr;
    double seconds = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(seconds) || seconds <= 0) {
        throw UsageError("--" + name + ": expected a positive number of seconds, got '" + text + "'");
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000.0)));
}

bool CliContext::has_config_file() const {
    std::error_code ignored;
    return config_file_named_ || std::filesystem::exists(config_file_, ignored);
}

const boost::json::value& CliContext::config_document() {
    if (!document_) {
        if (!has_config_file()) {
            throw ConfigError("", "no configuration: ./hpcexec.yaml does not exist (give --config FILE or set "
                                  "HPCEXEC_CONFIG)");
        }
        document_ = parse_config_file(config_file_);
    }
    return *document_;
}

HpcExecutor& CliContext::executor() {
    if (!executor_) {
        executor_ = make_executor(config_document(), cluster_);
        // The configuration's log_level was applied while building the executor; the command line wins over it.
        apply_log_level();
    }
    return *executor_;
}

QueueSystem& CliContext::queue_system() {
    const auto& queue = executor().queue_system();
    if (!queue) {
        throw ConfigError("queue_system", "this configuration has no queue system (e.g. queue_system: {slurm: {}}); "
                                          "jobs cannot be submitted or queried");
    }
    return *queue;
}

void CliContext::print_json(const boost::json::value& value) { std::cout << boost::json::serialize(value) << "\n"; }

void CliContext::warn(std::string_view message) { std::cerr << "hpcexec: " << message << std::endl; }

void CliContext::apply_log_level() const {
    if (!options_.count("log-level")) return;
    try {
        set_log_level(options_["log-level"].as<std::string>(), "--log-level");
    } catch (const ConfigError& e) {
        throw UsageError(e.what());
    }
}

}  // namespace hpcexec::cli
