// CliContext: what every subcommand needs: the parsed command line, the configuration and the executor (both
// loaded only when a command asks for them, so `--help` and `plugins` work without a configuration file), and
// the output helpers that keep the command's output conventions in one place.
#pragma once

#include "command_line.hpp"

#include <hpcexec/executor.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec::cli {

/// Builds the executor for one cluster of a configuration document (error key paths point into the file, as
/// "executors.<name>.queue_system.slurm.x"), and checks that its checkpoint store's name is known.
std::shared_ptr<HpcExecutor> make_executor(const boost::json::value& document, const std::string& cluster);

class CliContext {
public:
    /// Reads the global options and applies --log-level (throws UsageError for an unknown level).
    explicit CliContext(po::variables_map options);
    /// Releases the executor so that the kernel is destroyed on this thread (see the definition).
    ~CliContext();
    CliContext(const CliContext&) = delete;
    CliContext& operator=(const CliContext&) = delete;

    /// The parsed command line: the command's own options, the global ones, and the operands.
    const po::variables_map& options() const noexcept { return options_; }
    const std::vector<std::string>& operands() const noexcept { return operands_; }
    /// True when a flag (a bool_switch option) was given.
    bool flag(const std::string& name) const;
    /// A string option's value, or `fallback` when it was not given.
    std::string string_option(const std::string& name, const std::string& fallback = "") const;
    /// A duration option given in seconds (e.g. `--timeout 2.5`); nothing when not given. Throws UsageError for a
    /// value that is not a positive number.
    std::optional<std::chrono::milliseconds> seconds_option(const std::string& name) const;

    /// The configuration file: --config, else $HPCEXEC_CONFIG, else ./hpcexec.yaml.
    const std::filesystem::path& config_file() const noexcept { return config_file_; }
    /// True when --config or $HPCEXEC_CONFIG named a file, or ./hpcexec.yaml exists.
    bool has_config_file() const;
    /// The configuration document, read on first use. Throws ConfigError (naming the file, or the line and column
    /// of a syntax error).
    const boost::json::value& config_document();
    /// --cluster (empty: the file's only cluster).
    const std::string& cluster() const noexcept { return cluster_; }
    /// The executor of the chosen cluster, built on first use. Creating it does not connect yet.
    HpcExecutor& executor();
    /// The executor's queue system; throws ConfigError when the configuration has none.
    QueueSystem& queue_system();
    /// Runs a coroutine of the executor's components (a queue system call) and waits for it.
    template <class T> T wait_for(boost::asio::awaitable<T> operation) {
        return executor().kernel()->loop().sync_wait(std::move(operation));
    }

    /// --json was given: commands print one JSON document on stdout instead of text.
    bool json() const { return flag("json"); }
    /// Prints a JSON value as one line on stdout.
    static void print_json(const boost::json::value& value);
    /// Prints "hpcexec: <message>" on stderr (the form of every error and warning of the command).
    static void warn(std::string_view message);

private:
    void apply_log_level() const;

    po::variables_map options_;
    std::vector<std::string> operands_;
    std::filesystem::path config_file_;
    bool config_file_named_ = false;
    std::string cluster_;
    std::optional<boost::json::value> document_;
    std::shared_ptr<HpcExecutor> executor_;
};

}  // namespace hpcexec::cli
