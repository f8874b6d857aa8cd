// The executor's configuration, in its typed form, and its reading from JSON/YAML documents.
//
// The document form takes the original executor's keys unchanged:
//
//     ssh: {host: user01@hpc-login01, gateway: {host: user01@jump-host}}
//     queue_system: {slurm: {}}
//     work_dir: /home/user01/ai2-kit/work_dir
//     python_cmd: /home/user01/conda/env/py39/bin/python
//
// and the typed form (ExecutorConfig) holds the same values; both give the same executor. A document holding
// several clusters puts them under `executors: {<name>: <config>, ...}`, as the original's executor manager does.
#pragma once

#include <hpcexec/export.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec {

/// A component chosen by name, with its plugin-specific options: `queue_system: {slurm: {polling_interval: 5}}` is
/// ComponentChoice{"slurm", {{"polling_interval", 5}}}. The plugin validates the options when it is created.
struct ComponentChoice {
    std::string name;
    boost::json::object options;
};

/// The `ssh` section: the login node to reach, and how. Read by the `ssh` connector plugin.
/// Secrets (password, passphrase) are never logged or put in error messages.
struct SshConfig {
    /// `host`, `user@host` or `user@host:port`, or an alias of the user's ~/.ssh/config.
    std::string host;
    std::optional<std::int64_t> port;
    std::optional<std::string> user;
    /// Private key files to offer, in order.
    std::vector<std::string> identity_file;
    std::optional<std::string> passphrase;
    std::optional<std::string> password;
    /// Offer the keys of a running ssh-agent (SSH_AUTH_SOCK).
    std::optional<bool> use_agent;
    std::optional<std::string> known_hosts;
    /// strict (default), accept-new or off.
    std::optional<std::string> host_key_checking;
    std::optional<std::chrono::milliseconds> connect_timeout;
    std::optional<std::chrono::milliseconds> keepalive_interval;
    /// How many channels (commands, transfers) may be open at once on the session.
    std::optional<std::int64_t> max_channels;
    /// The OpenSSH client configuration to honour (default ~/.ssh/config); "none" to ignore it.
    std::optional<std::string> ssh_config_file;
    /// auto (default): run() goes through one persistent command server per host (Python 3 on the target), falling
    /// back to a channel per command when it cannot start; off: always a channel per command.
    std::optional<std::string> command_server;
    /// The Python interpreter that runs the command server on the target (default `python3`).
    std::optional<std::string> command_server_python;
    /// The jump host in front of this host; its own gateway is reached first. Nested to any depth.
    std::shared_ptr<SshConfig> gateway;
};

/// The `python` section: how Python functions run (HpcExecutor::run_python_fn, submit_python_fn).
struct PythonConfig {
    /// Persistent Python workers per python_cmd on the login node (default 2); 0 = one Python process per call.
    std::optional<std::int64_t> workers;
    /// The serializer calls travel in, by name with its options (default `{pickle: {}}`; `json` works too).
    std::optional<ComponentChoice> serializer;
    /// How long a persistent worker may take to start (default 60 s).
    std::optional<std::chrono::milliseconds> start_timeout;
};

/// Everything an executor is made from.
struct HPCEXEC_API ExecutorConfig {
    /// Set: commands run on this host over SSH (connector `ssh`). Unset: the `connector` choice, or local.
    std::optional<SshConfig> ssh;
    /// Any other connector by name (`connector: {local: {}}`); not together with `ssh`.
    std::optional<ComponentChoice> connector;
    /// The queue system (`queue_system: {slurm: {}}`); unset for an executor that only runs commands.
    std::optional<ComponentChoice> queue_system;
    /// Where exactly-once submissions and memoised results are recorded, on this machine
    /// (`checkpoint: {sqlite: {path: ...}}` or `{dir: {path: ...}}`); default: sqlite in ~/.hpcexec/checkpoints.sqlite.
    std::optional<ComponentChoice> checkpoint;
    /// The executor's working directory on the target; a relative path is relative to the target's home.
    std::string work_dir = ".";
    /// The Python interpreter on the target.
    std::string python_cmd = "python3";
    /// How Python functions run; unset = the defaults of PythonConfig.
    std::optional<PythonConfig> python;
    /// Extra directories to load plugins from (searched before HPCEXEC_PLUGIN_PATH and the install's directory).
    std::vector<std::string> plugin_dirs;
    /// trace, debug, info, warn (default), error, off.
    std::optional<std::string> log_level;

    /// The document form of this configuration (what from_json reads back to an equal configuration). Secrets are
    /// included: do not log the result.
    boost::json::object to_json() const;
    /// Reads and validates a configuration object; `path` prefixes every error's key path.
    /// Throws ConfigError naming the key path of the first problem.
    static ExecutorConfig from_json(const boost::json::value& document, const std::string& path = "");
};

HPCEXEC_API bool operator==(const ExecutorConfig& a, const ExecutorConfig& b);

/// Parses a JSON or YAML document into a JSON value. `origin` names the source in errors ("config.yaml").
/// Throws ConfigError with the line and column of a syntax error.
HPCEXEC_API boost::json::value parse_config_text(std::string_view text, const std::string& origin = "config");
/// Reads and parses a file; throws ConfigError naming the file when it cannot be read.
HPCEXEC_API boost::json::value parse_config_file(const std::filesystem::path& file);

/// Picks one cluster's configuration from a document: a document with `executors` must name one of them
/// (`cluster_name`, or the only one); a single-cluster document is returned as it is.
/// Throws ConfigError for an unknown name (listing the known ones).
HPCEXEC_API ExecutorConfig select_cluster(const boost::json::value& document, const std::string& cluster_name);

/// The names of the clusters in a document (one empty name for a single-cluster document).
HPCEXEC_API std::vector<std::string> cluster_names(const boost::json::value& document);

}  // namespace hpcexec
