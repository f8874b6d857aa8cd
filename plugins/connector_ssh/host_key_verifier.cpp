#include "host_key_verifier.hpp"

#include "ssh_support.hpp"

#include <hpcexec/errors.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

namespace hpcexec::ssh {
namespace {

struct KeyType {
    const char* name;  // as in known_hosts
    int knownhost_mask;
};

KeyType key_type_of(int hostkey_type) {
    switch (hostkey_type) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return {"ssh-rsa", LIBSSH2_KNOWNHOST_KEY_SSHRSA};
    case LIBSSH2_HOSTKEY_TYPE_DSS: return {"ssh-dss", LIBSSH2_KNOWNHOST_KEY_SSHDSS};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return {"ecdsa-sha2-nistp256", LIBSSH2_KNOWNHOST_KEY_ECDSA_256};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return {"ecdsa-sha2-nistp384", LIBSSH2_KNOWNHOST_KEY_ECDSA_384};
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return {"ecdsa-sha2-nistp521", LIBSSH2_KNOWNHOST_KEY_ECDSA_521};
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return {"ssh-ed25519", LIBSSH2_KNOWNHOST_KEY_ED25519};
    default: return {"unknown", LIBSSH2_KNOWNHOST_KEY_UNKNOWN};
    }
}

// "[host]:port" unless the port is 22, as OpenSSH writes and matches known_hosts names.
std::string known_hosts_name(const HopSettings& hop) {
    if (hop.port == 22) return hop.host;
    return "[" + hop.host + "]:" + std::to_string(hop.port);
}

std::string file_list(const HopSettings& hop) {
    if (hop.known_hosts_files.empty()) return "(no known_hosts file configured)";
    std::string out;
    for (const auto& f : hop.known_hosts_files) out += (out.empty() ? "" : ", ") + f;
    return out;
}

std::string padded_base64(const char* data, std::size_t size) {
    std::string out = base64_unpadded(reinterpret_cast<const unsigned char*>(data), size);
    while (out.size() % 4 != 0) out += '=';
    return out;
}

using KnownHosts = std::unique_ptr<LIBSSH2_KNOWNHOSTS, decltype(&libssh2_knownhost_free)>;

// Reads each file line by line: libssh2_knownhost_readfile gives up at the first line it does not understand
// (e.g. an @cert-authority marker or an sk-ssh-ed25519 key), which would hide every entry after it.
void load_files(LIBSSH2_KNOWNHOSTS* known, const HopSettings& hop) {
    for (const auto& file : hop.known_hosts_files) {
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line)) {
            if (line.empty() || line[0] == '#' || line[0] == '@') continue;
            libssh2_knownhost_readline(known, line.data(), line.size(), LIBSSH2_KNOWNHOST_FILE_OPENSSH);
        }
    }
}

}  // namespace

void verify_host_key(LIBSSH2_SESSION* session, const HopSettings& hop, spdlog::logger& logger) {
    std::size_t key_length = 0;
    int hostkey_type = 0;
    const char* key = libssh2_session_hostkey(session, &key_length, &hostkey_type);
    if (key == nullptr) throw ConnectionError("cannot read the host key of " + hop.label() + " after the handshake");
    KeyType type = key_type_of(hostkey_type);
    std::string fingerprint = "(unknown)";
    if (const char* hash = libssh2_hostkey_hash(session, LIBSSH2_HOSTKEY_HASH_SHA256); hash != nullptr) {
        fingerprint = "SHA256:" + base64_unpadded(reinterpret_cast<const unsigned char*>(hash), 32);
    }
    const std::string name = known_hosts_name(hop);
    const std::string presented = "the server presented a " + std::string(type.name) + " key " + fingerprint;

    if (hop.host_key_policy == HostKeyPolicy::off) {
        logger.warn("host key of {} not verified (host_key_checking: off); {}", name, presented);
        return;
    }

    KnownHosts known(libssh2_knownhost_init(session), &libssh2_knownhost_free);
    if (!known) throw ConnectionError("cannot verify the host key of " + hop.label() + ": libssh2 out of memory");
    load_files(known.get(), hop);

    libssh2_knownhost* entry = nullptr;
    int check = libssh2_knownhost_checkp(known.get(), hop.host.c_str(), hop.port, key, key_length,
                                         LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
                                             type.knownhost_mask,
                                         &entry);
    switch (check) {
    case LIBSSH2_KNOWNHOST_CHECK_MATCH:
        logger.debug("host key of {} verified ({} {})", name, type.name, fingerprint);
        return;
    case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
        throw ConnectionError("host key verification failed for " + name + " (" + hop.label() + "): " +
                              presented + ", which does NOT match the " + type.name + " key recorded for it in " +
                              file_list(hop) +
                              ". Someone may be intercepting the connection, or the host key was changed; if the "
                              "change is expected, remove the old entry (ssh-keygen -R '" + name + "')");
    case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
        break;
    default:
        throw ConnectionError("cannot verify the host key of " + name + ": " +
                              last_error_text(session, check));
    }

    if (hop.host_key_policy == HostKeyPolicy::strict) {
        throw ConnectionError("host key verification failed for " + name + " (" + hop.label() +
                              "): the host is unknown (no " + type.name + " key for it in " + file_list(hop) +
                              ") and host_key_checking is strict; " + presented +
                              ". Check the fingerprint and add the key (ssh-keyscan -p " + std::to_string(hop.port) +
                              " " + hop.host + "), or set host_key_checking: accept-new");
    }
    // accept-new: record the key, as `ssh -o StrictHostKeyChecking=accept-new` does.
    if (hop.known_hosts_files.empty()) {
        throw ConnectionError("cannot record the host key of " + name + ": no known_hosts file is configured");
    }
    const std::string& file = hop.known_hosts_files.front();
    std::error_code ec;
    std::filesystem::path parent = std::filesystem::path(file).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    std::ofstream out(file, std::ios::app);
    out << name << ' ' << type.name << ' ' << padded_base64(key, key_length) << '\n';
    out.close();
    if (!out) throw ConnectionError("cannot record the host key of " + name + " in " + file + " (accept-new)");
    logger.info("recorded the new host key of {} in {} ({} {})", name, file, type.name, fingerprint);
}

}  // namespace hpcexec::ssh
