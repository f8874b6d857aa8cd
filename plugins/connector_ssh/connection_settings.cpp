#include "connection_settings.hpp"

#include "ssh_config_file.hpp"

#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>

#include <boost/json.hpp>

#include <cstdlib>
#include <filesystem>

#include <pwd.h>
#include <unistd.h>

namespace hpcexec::ssh {
namespace json = boost::json;
namespace fs = std::filesystem;

std::string HopSettings::label() const {
    bool ipv6 = host.find(':') != std::string::npos;
    return user + "@" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

namespace {

// A ProxyJump loop in a configuration file must end somewhere.
constexpr int max_hops = 16;

struct LocalUser {
    std::string name;
    fs::path home;
};

LocalUser local_user() {
    LocalUser user;
    const passwd* entry = ::getpwuid(::getuid());
    if (entry != nullptr) user.name = entry->pw_name;
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') user.home = home;
    else if (entry != nullptr) user.home = entry->pw_dir;
    if (user.name.empty()) {
        const char* name = std::getenv("USER");
        user.name = name != nullptr ? name : "root";
    }
    return user;
}

// "user@host:port", "host:port", "[v6addr]:port", "user@host". Port parsing errors name the key.
struct HostShorthand {
    std::optional<std::string> user;
    std::string host;
    std::optional<int> port;
};

HostShorthand parse_host(std::string text, const std::string& key_path) {
    HostShorthand out;
    if (text.rfind("ssh://", 0) == 0) text = text.substr(6);
    if (auto at = text.rfind('@'); at != std::string::npos) {
        out.user = text.substr(0, at);
        text = text.substr(at + 1);
        if (out.user->empty()) throw ConfigError(key_path, "empty user name before '@'");
    }
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos) throw ConfigError(key_path, "unterminated '[' in the host");
        out.host = text.substr(1, close - 1);
        std::string rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') throw ConfigError(key_path, "expected ':port' after ']'");
            port_text = rest.substr(1);
        }
    } else if (auto colon = text.find(':'); colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
        out.host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    } else {
        out.host = text;  // a bare IPv6 address has several colons and no port
    }
    if (out.host.empty()) throw ConfigError(key_path, "the host name is empty");
    if (!port_text.empty() || text.back() == ':') {
        bool digits = !port_text.empty() && port_text.size() <= 5 &&
                      port_text.find_first_not_of("0123456789") == std::string::npos;
        int port = digits ? std::stoi(port_text) : 0;
        if (port < 1 || port > 65535) throw ConfigError(key_path, "invalid port '" + port_text + "' (1-65535)");
        out.port = port;
    }
    return out;
}

// OpenSSH's tokens in IdentityFile and UserKnownHostsFile.
std::string expand_path(const std::string& path, const HopSettings& hop, const LocalUser& local) {
    std::string out;
    std::string text = path;
    if (text == "~") text = local.home.string();
    else if (text.rfind("~/", 0) == 0) text = (local.home / text.substr(2)).string();
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%' || i + 1 >= text.size()) {
            out += text[i];
            continue;
        }
        char token = text[++i];
        switch (token) {
        case '%': out += '%'; break;
        case 'd': out += local.home.string(); break;
        case 'u': out += local.name; break;
        case 'h': out += hop.host; break;
        case 'n': out += hop.alias; break;
        case 'p': out += std::to_string(hop.port); break;
        case 'r': out += hop.user; break;
        default: out += '%'; out += token; break;
        }
    }
    return out;
}

// What a gateway takes over from the hop behind it when it does not say otherwise.
struct Inherited {
    std::optional<std::vector<std::string>> identity_files;
    std::optional<std::string> passphrase;
    std::optional<bool> use_agent;
    std::optional<std::vector<std::string>> known_hosts_files;
    std::optional<HostKeyPolicy> host_key_policy;
    std::optional<std::chrono::milliseconds> connect_timeout;
    std::optional<std::chrono::milliseconds> keepalive_interval;
    std::optional<std::string> ssh_config_file;
};

HostKeyPolicy policy_from_text(const std::string& text) {
    if (text == "accept-new") return HostKeyPolicy::accept_new;
    if (text == "off" || text == "no") return HostKeyPolicy::off;
    return HostKeyPolicy::strict;  // strict, yes, ask (there is nobody to ask)
}

class Resolver {
public:
    Resolver() : local_(local_user()) {}

    // Appends the hops of `config` (its gateways first) to hops_.
    void resolve(const json::value& config, const std::string& path, const Inherited& inherited,
                 bool honour_proxy_jump) {
        if (++depth_ > max_hops || hops_.size() >= static_cast<std::size_t>(max_hops)) {
            throw ConfigError(path, "more than " + std::to_string(max_hops) +
                                        " hops to reach the host (a gateway or ProxyJump loop?)");
        }
        ConfigReader reader(config, path);
        HopSettings hop;
        std::string host_text = reader.string("host").value_or("");
        if (host_text.empty()) throw ConfigError(reader.path_of("host"), "required (user@host or user@host:port)");
        HostShorthand shorthand = parse_host(host_text, reader.path_of("host"));
        auto port = reader.integer("port", 1, 65535);
        auto user = reader.string("user");
        auto identity_files = reader.string_list("identity_file");
        auto passphrase = reader.string("passphrase");
        hop.password = reader.string("password");
        auto use_agent = reader.boolean("use_agent");
        auto known_hosts = reader.string("known_hosts");
        auto policy = reader.choice("host_key_checking", {"strict", "accept-new", "off"});
        auto connect_timeout = reader.duration("connect_timeout");
        auto keepalive = reader.duration("keepalive_interval");
        auto max_channels = reader.integer("max_channels", 1, 1024);
        auto ssh_config_file = reader.string("ssh_config_file");
        auto command_server = reader.choice("command_server", {"auto", "off"});
        auto command_server_python = reader.string("command_server_python");
        const json::value* gateway = reader.raw("gateway");
        reader.finish();

        if (connect_timeout && connect_timeout->count() == 0) {
            throw ConfigError(reader.path_of("connect_timeout"), "must be greater than zero");
        }
        if (command_server_python && command_server_python->empty()) {
            throw ConfigError(reader.path_of("command_server_python"), "must not be empty");
        }
        hop.command_server = command_server.value_or("auto") == "auto";
        hop.command_server_python = command_server_python.value_or("python3");

        // The OpenSSH configuration for this host.
        std::string config_file = ssh_config_file.value_or(
            inherited.ssh_config_file.value_or((local_.home / ".ssh" / "config").string()));
        SshConfigEntry entry;
        if (config_file != "none") {
            std::string file = config_file.rfind("~/", 0) == 0 ? (local_.home / config_file.substr(2)).string()
                                                               : config_file;
            entry = SshConfigFile::load(file, local_.home, reader.path_of("ssh_config_file")).lookup(shorthand.host);
        }

        hop.alias = shorthand.host;
        hop.host = entry.host_name ? *entry.host_name : shorthand.host;
        // HostName may itself use %h (the alias).
        if (hop.host.find('%') != std::string::npos) {
            HopSettings alias_only;
            alias_only.host = shorthand.host;
            alias_only.alias = shorthand.host;
            hop.host = expand_path(hop.host, alias_only, local_);
        }
        hop.port = static_cast<int>(port ? *port : shorthand.port ? *shorthand.port : entry.port.value_or(22));
        hop.user = user ? *user : shorthand.user ? *shorthand.user : entry.user.value_or(local_.name);

        // Keys: own > configuration file > inherited > OpenSSH's default files that exist.
        std::vector<std::string> keys;
        if (identity_files) {
            keys = *identity_files;
            hop.passphrase = passphrase;
        } else if (!entry.identity_files.empty()) {
            keys = entry.identity_files;
            hop.passphrase = passphrase;
        } else if (inherited.identity_files) {
            keys = *inherited.identity_files;
            hop.passphrase = passphrase ? passphrase : inherited.passphrase;
        } else {
            for (const char* name : {"id_ed25519", "id_ecdsa", "id_rsa"}) {
                fs::path candidate = local_.home / ".ssh" / name;
                std::error_code ec;
                if (fs::exists(candidate, ec)) keys.push_back(candidate.string());
            }
            hop.passphrase = passphrase;
        }
        for (auto& key : keys) hop.identity_files.push_back(expand_path(key, hop, local_));

        const char* agent_socket = std::getenv("SSH_AUTH_SOCK");
        bool agent_available = agent_socket != nullptr && *agent_socket != '\0';
        bool identities_only = entry.identities_only.value_or(false);
        hop.use_agent = use_agent ? *use_agent
                                  : inherited.use_agent.value_or(agent_available && !identities_only);

        std::vector<std::string> known;
        if (known_hosts) known = {*known_hosts};
        else if (!entry.user_known_hosts_files.empty()) known = entry.user_known_hosts_files;
        else if (inherited.known_hosts_files) known = *inherited.known_hosts_files;
        else known = {(local_.home / ".ssh" / "known_hosts").string()};
        for (auto& file : known) {
            if (file != "none" && file != "/dev/null") hop.known_hosts_files.push_back(expand_path(file, hop, local_));
        }

        if (policy) hop.host_key_policy = policy_from_text(*policy);
        else if (entry.strict_host_key_checking) hop.host_key_policy = policy_from_text(*entry.strict_host_key_checking);
        else hop.host_key_policy = inherited.host_key_policy.value_or(HostKeyPolicy::strict);

        hop.connect_timeout = connect_timeout ? *connect_timeout
                                              : inherited.connect_timeout.value_or(std::chrono::seconds(10));
        hop.keepalive_interval = keepalive ? *keepalive
                                           : inherited.keepalive_interval.value_or(std::chrono::seconds(15));
        hop.max_channels = static_cast<int>(max_channels.value_or(default_max_channels));

        // What this hop hands down to its gateways.
        Inherited down;
        down.identity_files = keys;
        down.passphrase = hop.passphrase;
        down.use_agent = hop.use_agent;
        down.known_hosts_files = known;
        down.host_key_policy = hop.host_key_policy;
        down.connect_timeout = hop.connect_timeout;
        down.keepalive_interval = hop.keepalive_interval;
        down.ssh_config_file = config_file;

        if (gateway != nullptr) {
            resolve(*gateway, reader.path_of("gateway"), down, true);
        } else if (honour_proxy_jump && entry.proxy_jump && *entry.proxy_jump != "none") {
            // "a,b": a is reached first (and its own ProxyJump counts), b through a, then this host through b.
            std::vector<std::string> jumps;
            std::string current;
            for (char c : *entry.proxy_jump + ",") {
                if (c == ',') {
                    if (!current.empty()) jumps.push_back(current);
                    current.clear();
                } else if (c != ' ') {
                    current += c;
                }
            }
            for (std::size_t i = 0; i < jumps.size(); ++i) {
                json::object jump{{"host", jumps[i]}};
                resolve(jump, reader.path_of("host") + " (ProxyJump " + jumps[i] + ")", down, i == 0);
            }
        }
        hops_.push_back(std::move(hop));
        --depth_;
    }

    std::vector<HopSettings> take() { return std::move(hops_); }

private:
    LocalUser local_;
    int depth_ = 0;
    std::vector<HopSettings> hops_;
};

}  // namespace

std::vector<HopSettings> resolve_connection(const json::value& config, const std::string& config_path) {
    Resolver resolver;
    resolver.resolve(config, config_path, Inherited{}, true);
    return resolver.take();
}

}  // namespace hpcexec::ssh
