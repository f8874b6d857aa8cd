// User authentication on a fresh SSH session: identity files, ssh-agent, password.
#pragma once

#include "connection_settings.hpp"
#include "ssh_session.hpp"

#include <boost/asio/awaitable.hpp>
#include <spdlog/logger.h>

#include <string>

namespace hpcexec::ssh {

/// Logs `session` in as hop.user with what the server accepts, in OpenSSH's order: the identity files, the keys of
/// ssh-agent (when hop.use_agent), then the password (method "password", or "keyboard-interactive" answering every
/// prompt with it).
/// Throws ConnectionError saying what was tried and why each failed. When every key offered was an RSA key, it
/// says that libssh2 1.10 cannot use RSA keys against OpenSSH >= 8.8 and how to make an ed25519 key.
/// Passwords and passphrases never appear in a message or a log line.
boost::asio::awaitable<void> authenticate(SshSession& session, const HopSettings& hop, spdlog::logger& logger);

/// The key type of a private key file ("ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa", ...), from its .pub
/// companion or from the key file itself (OpenSSH and PEM formats; also for encrypted keys); "" when unknown.
std::string private_key_type(const std::string& path);

}  // namespace hpcexec::ssh
