// Reading and writing ExecutorConfig: the document form and the typed form are the same configuration.
#include <hpcexec/config.hpp>
#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>

#include <boost/json.hpp>

namespace hpcexec {
namespace json = boost::json;

namespace {

// `queue_system: {slurm: {...}}`: exactly one key, the component's name, whose value is its options.
ComponentChoice read_component_choice(const json::value& value, const std::string& path) {
    if (value.is_string()) return ComponentChoice{std::string(value.get_string()), {}};  // `queue_system: slurm`
    if (!value.is_object()) throw ConfigError(path, "expected a mapping with one key naming the component");
    const auto& object = value.get_object();
    if (object.size() != 1) {
        throw ConfigError(path, "expected exactly one key naming the component (e.g. {slurm: {}}), found " +
                                    std::to_string(object.size()));
    }
    const auto& member = *object.begin();
    std::string name(member.key());
    const auto& options = member.value();
    if (options.is_null()) return ComponentChoice{name, {}};
    if (!options.is_object()) throw ConfigError(path + "." + name, "expected a mapping of options");
    return ComponentChoice{name, options.get_object()};
}

json::object component_choice_to_json(const ComponentChoice& choice) {
    json::object object;
    object[choice.name] = choice.options;
    return object;
}

double seconds(std::chrono::milliseconds ms) { return static_cast<double>(ms.count()) / 1000.0; }

SshConfig read_ssh(const json::value& value, const std::string& path) {
    ConfigReader reader(value, path);
    SshConfig ssh;
    auto host = reader.string("host");
    if (!host || host->empty()) throw ConfigError(reader.path_of("host"), "required (user@host or user@host:port)");
    ssh.host = *host;
    ssh.port = reader.integer("port", 1, 65535);
    ssh.user = reader.string("user");
    if (auto files = reader.string_list("identity_file")) ssh.identity_file = *files;
    ssh.passphrase = reader.string("passphrase");
    ssh.password = reader.string("password");
    ssh.use_agent = reader.boolean("use_agent");
    ssh.known_hosts = reader.string("known_hosts");
    ssh.host_key_checking = reader.choice("host_key_checking", {"strict", "accept-new", "off"});
    ssh.connect_timeout = reader.duration("connect_timeout");
    ssh.keepalive_interval = reader.duration("keepalive_interval");
    ssh.max_channels = reader.integer("max_channels", 1, 1024);
    ssh.ssh_config_file = reader.string("ssh_config_file");
    ssh.command_server = reader.choice("command_server", {"auto", "off"});
    ssh.command_server_python = reader.string("command_server_python");
    if (const auto* gateway = reader.raw("gateway")) {
        ssh.gateway = std::make_shared<SshConfig>(read_ssh(*gateway, reader.path_of("gateway")));
    }
    reader.finish();
    return ssh;
}

json::object ssh_to_json(const SshConfig& ssh) {
    json::object o;
    o["host"] = ssh.host;
    if (ssh.port) o["port"] = *ssh.port;
    if (ssh.user) o["user"] = *ssh.user;
    if (!ssh.identity_file.empty()) {
        json::array files;
        for (const auto& f : ssh.identity_file) files.emplace_back(f);
        o["identity_file"] = std::move(files);
    }
    if (ssh.passphrase) o["passphrase"] = *ssh.passphrase;
    if (ssh.password) o["password"] = *ssh.password;
    if (ssh.use_agent) o["use_agent"] = *ssh.use_agent;
    if (ssh.known_hosts) o["known_hosts"] = *ssh.known_hosts;
    if (ssh.host_key_checking) o["host_key_checking"] = *ssh.host_key_checking;
    if (ssh.connect_timeout) o["connect_timeout"] = seconds(*ssh.connect_timeout);
    if (ssh.keepalive_interval) o["keepalive_interval"] = seconds(*ssh.keepalive_interval);
    if (ssh.max_channels) o["max_channels"] = *ssh.max_channels;
    if (ssh.ssh_config_file) o["ssh_config_file"] = *ssh.ssh_config_file;
    if (ssh.command_server) o["command_server"] = *ssh.command_server;
    if (ssh.command_server_python) o["command_server_python"] = *ssh.command_server_python;
    if (ssh.gateway) o["gateway"] = ssh_to_json(*ssh.gateway);
    return o;
}

PythonConfig read_python(const json::value& value, const std::string& path) {
    ConfigReader reader(value, path);
    PythonConfig python;
    python.workers = reader.integer("workers", 0, 1024);
    if (const auto* serializer = reader.raw("serializer")) {
        python.serializer = read_component_choice(*serializer, reader.path_of("serializer"));
    }
    python.start_timeout = reader.duration("start_timeout");
    reader.finish();
    return python;
}

json::object python_to_json(const PythonConfig& python) {
    json::object o;
    if (python.workers) o["workers"] = *python.workers;
    if (python.serializer) o["serializer"] = component_choice_to_json(*python.serializer);
    if (python.start_timeout) o["start_timeout"] = seconds(*python.start_timeout);
    return o;
}

}  // namespace

ExecutorConfig ExecutorConfig::from_json(const json::value& document, const std::string& path) {
    ConfigReader reader(document, path);
    ExecutorConfig config;
    if (const auto* ssh = reader.raw("ssh")) config.ssh = read_ssh(*ssh, reader.path_of("ssh"));
    if (const auto* connector = reader.raw("connector")) {
        if (config.ssh) throw ConfigError(reader.path_of("connector"), "give either ssh or connector, not both");
        config.connector = read_component_choice(*connector, reader.path_of("connector"));
    }
    if (const auto* queue = reader.raw("queue_system")) {
        config.queue_system = read_component_choice(*queue, reader.path_of("queue_system"));
    }
    if (const auto* checkpoint = reader.raw("checkpoint")) {
        config.checkpoint = read_component_choice(*checkpoint, reader.path_of("checkpoint"));
    }
    config.work_dir = reader.string("work_dir", ".");
    if (config.work_dir.empty()) throw ConfigError(reader.path_of("work_dir"), "must not be empty");
    config.python_cmd = reader.string("python_cmd", "python3");
    if (config.python_cmd.empty()) throw ConfigError(reader.path_of("python_cmd"), "must not be empty");
    if (const auto* python = reader.raw("python")) config.python = read_python(*python, reader.path_of("python"));
    if (auto dirs = reader.string_list("plugin_dirs")) config.plugin_dirs = *dirs;
    config.log_level = reader.choice("log_level", {"trace", "debug", "info", "warn", "error", "off"});
    reader.finish();
    return config;
}

json::object ExecutorConfig::to_json() const {
    json::object o;
    if (ssh) o["ssh"] = ssh_to_json(*ssh);
    if (connector) o["connector"] = component_choice_to_json(*connector);
    if (queue_system) o["queue_system"] = component_choice_to_json(*queue_system);
    if (checkpoint) o["checkpoint"] = component_choice_to_json(*checkpoint);
    o["work_dir"] = work_dir;
    o["python_cmd"] = python_cmd;
    if (python) o["python"] = python_to_json(*python);
    if (!plugin_dirs.empty()) {
        json::array dirs;
        for (const auto& d : plugin_dirs) dirs.emplace_back(d);
        o["plugin_dirs"] = std::move(dirs);
    }
    if (log_level) o["log_level"] = *log_level;
    return o;
}

bool operator==(const ExecutorConfig& a, const ExecutorConfig& b) { return a.to_json() == b.to_json(); }

std::vector<std::string> cluster_names(const json::value& document) {
    if (document.is_object()) {
        if (const auto* executors = document.get_object().if_contains("executors"); executors && executors->is_object()) {
            std::vector<std::string> names;
            for (const auto& member : executors->get_object()) names.emplace_back(member.key());
            return names;
        }
    }
    return {""};
}

ExecutorConfig select_cluster(const json::value& document, const std::string& cluster_name) {
    if (!document.is_object()) throw ConfigError("", "the configuration must be a mapping");
    const auto& root = document.get_object();
    const auto* executors = root.if_contains("executors");
    if (!executors) return ExecutorConfig::from_json(document);

    ConfigReader top(document, "");
    top.raw("executors");
    top.finish();  // nothing else belongs beside `executors`
    if (!executors->is_object() || executors->get_object().empty()) {
        throw ConfigError("executors", "expected a mapping of cluster names to configurations");
    }
    const auto& clusters = executors->get_object();
    std::string name = cluster_name;
    if (name.empty()) {
        if (clusters.size() != 1) {
            std::string list;
            for (const auto& member : clusters) list += (list.empty() ? "" : ", ") + std::string(member.key());
            throw ConfigError("executors", "several clusters are configured (" + list + "): name one");
        }
        name = std::string(clusters.begin()->key());
    }
    const auto* chosen = clusters.if_contains(name);
    if (!chosen) {
        std::vector<std::string> names = cluster_names(document);
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        std::string problem = "unknown cluster '" + name + "'";
        if (auto suggestion = closest_match(name, names); !suggestion.empty()) problem += " (did you mean " + suggestion + "?)";
        throw ConfigError("executors", problem + "; configured clusters: " + list);
    }
    return ExecutorConfig::from_json(*chosen, "executors." + name);
}

}  // namespace hpcexec
