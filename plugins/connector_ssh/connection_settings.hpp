// ConnectionSettings: the connector's configuration turned into the list of hops to connect through, with the
// user's OpenSSH configuration applied.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hpcexec::ssh {

enum class HostKeyPolicy { strict, accept_new, off };

/// Everything needed to reach and log in to one host.
/// SECRETS: passphrase and password are never logged nor put into any message.
struct HopSettings {
    /// The name the user wrote (an ~/.ssh/config alias or a host name), for messages.
    std::string alias;
    /// The name or address connected to (HostName).
    std::string host;
    int port = 22;
    std::string user;
    /// Private key files to offer, in order (expanded, absolute).
    std::vector<std::string> identity_files;
    std::optional<std::string> passphrase;
    std::optional<std::string> password;
    bool use_agent = false;
    /// known_hosts files to check; accept-new appends to the first.
    std::vector<std::string> known_hosts_files;
    HostKeyPolicy host_key_policy = HostKeyPolicy::strict;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds keepalive_interval{15000};
    /// Channels open at once on this host's session (below sshd's MaxSessions, 10 by default).
    int max_channels = 8;
    /// run() through a persistent command server on this host (`command_server: auto`), started with this Python
    /// (`command_server_python`); false (`off`): a channel per command. Only the target host's values are used.
    bool command_server = true;
    std::string command_server_python = "python3";

    /// "user@host:port", how messages name the hop (and how the session pool tells hops apart).
    std::string label() const;
};

/// The defaults of the connector.
inline constexpr int default_max_channels = 8;

/// Reads the connector's configuration section (`ssh`, already checked by the kernel; checked again here, so the
/// plugin also works with a hand-made context) and returns the hops to go through, the first hop (the deepest
/// gateway) first and the target host last.
///
/// Per hop, a value comes from, in this order: the hop's own key (`port`, `user`, ...); the `user@host:port`
/// shorthand of its `host`; the OpenSSH configuration (`ssh_config_file`, default ~/.ssh/config, "none" to
/// ignore it) for Host aliases, HostName, User, Port, IdentityFile, UserKnownHostsFile, StrictHostKeyChecking and
/// ProxyJump; the enclosing hop's value (a gateway inherits identity_file with its passphrase, use_agent,
/// known_hosts, host_key_checking, connect_timeout, keepalive_interval and ssh_config_file, never a password);
/// OpenSSH's defaults (~/.ssh/id_ed25519, id_ecdsa, id_rsa; ~/.ssh/known_hosts; port 22; the local user name).
/// A `gateway` key takes precedence over a ProxyJump of the configuration file.
/// Throws ConfigError with the key path of the offending value.
std::vector<HopSettings> resolve_connection(const boost::json::value& config, const std::string& config_path);

}  // namespace hpcexec::ssh
