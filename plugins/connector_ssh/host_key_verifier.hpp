// Host key verification against OpenSSH known_hosts files.
#pragma once

#include "connection_settings.hpp"

#include <libssh2.h>
#include <spdlog/logger.h>

namespace hpcexec::ssh {

/// The host key algorithms, best first, given to libssh2 before the handshake. libssh2 1.10 otherwise negotiates
/// ECDSA first while OpenSSH prefers ed25519, so a known_hosts written by `ssh` (often ed25519 only) would not
/// match. Unsupported names are dropped by libssh2 itself.
inline constexpr const char* host_key_preference =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa";

/// Checks the key the server presented in the handshake of `session` against hop.known_hosts_files (plain and
/// hashed entries, `[host]:port` for other ports than 22), following hop.host_key_policy:
///  - a key that differs from a recorded one for the same host and key type is always refused;
///  - an unknown host is refused under strict, recorded (appended to the first known_hosts file) under accept-new;
///  - off skips the check (with a warning in the log).
/// Throws ConnectionError naming the host, the key type and its SHA256 fingerprint.
/// Lines libssh2 cannot parse (certificates, security-key types, markers) are skipped, not fatal.
void verify_host_key(LIBSSH2_SESSION* session, const HopSettings& hop, spdlog::logger& logger);

}  // namespace hpcexec::ssh
