#include "user_auth.hpp"

#include "ssh_support.hpp"

#include <hpcexec/errors.hpp>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <unistd.h>

namespace hpcexec::ssh {
namespace {

std::string read_small_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::string text(64 * 1024, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

// An SSH wire-format string (uint32 length + bytes) at `pos` of `blob`; false when it does not fit.
bool read_ssh_string(const std::string& blob, std::size_t& pos, std::string& out) {
    if (pos + 4 > blob.size()) return false;
    auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(blob[pos + i])); };
    std::uint32_t length = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
    pos += 4;
    if (length > blob.size() - pos) return false;
    out = blob.substr(pos, length);
    pos += length;
    return true;
}

bool has_method(const std::string& methods, const std::string& method) {
    std::size_t start = 0;
    while (start <= methods.size()) {
        std::size_t end = methods.find(',', start);
        if (end == std::string::npos) end = methods.size();
        if (methods.compare(start, end - start, method) == 0) return true;
        start = end + 1;
    }
    return false;
}

// keyboard-interactive: every prompt gets the password (what a password login over keyboard-interactive asks).
// libssh2 frees the responses with free().
void answer_with_password(const char*, int, const char*, int, int prompt_count, const LIBSSH2_USERAUTH_KBDINT_PROMPT*,
                          LIBSSH2_USERAUTH_KBDINT_RESPONSE* responses, void** abstract) {
    auto* session = static_cast<SshSession*>(*abstract);
    const std::string* password = session->keyboard_interactive_password;
    for (int i = 0; i < prompt_count; ++i) {
        if (password == nullptr) {
            responses[i].text = nullptr;
            responses[i].length = 0;
            continue;
        }
        responses[i].text = static_cast<char*>(std::malloc(password->size() + 1));
        if (responses[i].text == nullptr) {
            responses[i].length = 0;
            continue;
        }
        std::memcpy(responses[i].text, password->c_str(), password->size() + 1);
        responses[i].length = static_cast<unsigned int>(password->size());
    }
}

bool is_rsa(const std::string& type) { return type == "ssh-rsa"; }

}  // namespace

std::string private_key_type(const std::string& path) {
    std::string pub = read_small_file(path + ".pub");
    if (!pub.empty()) return pub.substr(0, pub.find_first_of(" \t\n"));
    std::string text = read_small_file(path);
    if (text.find("BEGIN RSA PRIVATE KEY") != std::string::npos) return "ssh-rsa";
    if (text.find("BEGIN EC PRIVATE KEY") != std::string::npos) return "ecdsa-sha2";
    if (text.find("BEGIN DSA PRIVATE KEY") != std::string::npos) return "ssh-dss";
    const std::string begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    auto start = text.find(begin);
    if (start == std::string::npos) return {};
    start += begin.size();
    auto end = text.find("-----END", start);
    std::string blob = base64_decode(std::string_view(text).substr(start, end == std::string::npos ? std::string::npos
                                                                                                  : end - start));
    // "openssh-key-v1\0", cipher, kdf, kdf options, key count, then the first public key, whose first string is
    // its type. The public part is never encrypted.
    const std::string magic("openssh-key-v1\0", 15);
    if (blob.compare(0, magic.size(), magic) != 0) return {};
    std::size_t pos = magic.size();
    std::string cipher, kdf, kdf_options, public_key, type;
    if (!read_ssh_string(blob, pos, cipher) || !read_ssh_string(blob, pos, kdf) ||
        !read_ssh_string(blob, pos, kdf_options) || pos + 4 > blob.size()) {
        return {};
    }
    pos += 4;
    if (!read_ssh_string(blob, pos, public_key)) return {};
    std::size_t inner = 0;
    if (!read_ssh_string(public_key, inner, type)) return {};
    return type;
}

boost::asio::awaitable<void> authenticate(SshSession& session, const HopSettings& hop, spdlog::logger& logger) {
    LIBSSH2_SESSION* raw = session.raw();
    const std::string& user = hop.user;
    const auto user_length = static_cast<unsigned>(user.size());

    int error = 0;
    char* listed = co_await session.call_for_pointer<char>(
        [&] { return libssh2_userauth_list(raw, user.c_str(), user_length); }, error);
    if (listed == nullptr) {
        if (libssh2_userauth_authenticated(raw)) co_return;  // the server accepted "none"
        throw ConnectionError("authentication of " + hop.label() +
                              " failed: cannot ask the server which methods it accepts: " +
                              last_error_text(raw, error));
    }
    const std::string methods = listed;

    std::vector<std::string> attempts;  // what was tried and how it went, for the error message
    int keys_offered = 0;
    int rsa_keys_offered = 0;

    if (has_method(methods, "publickey")) {
        for (const auto& file : hop.identity_files) {
            if (::access(file.c_str(), R_OK) != 0) {
                attempts.push_back("key " + file + " (cannot read the file)");
                continue;
            }
            std::string type = private_key_type(file);
            ++keys_offered;
            if (is_rsa(type)) ++rsa_keys_offered;
            const char* passphrase = hop.passphrase ? hop.passphrase->c_str() : nullptr;
            long rc = co_await session.call([&] {
                return static_cast<long>(libssh2_userauth_publickey_fromfile_ex(raw, user.c_str(), user_length,
                                                                                nullptr, file.c_str(), passphrase));
            });
            if (rc == 0) {
                logger.debug("{}: authenticated with key {}", hop.label(), file);
                co_return;
            }
            std::string why;
            if (rc == LIBSSH2_ERROR_FILE) {
                why = hop.passphrase ? "cannot load it: wrong passphrase or a key format libssh2 does not read"
                                     : "cannot load it: encrypted (no passphrase configured) or a key format "
                                       "libssh2 does not read";
            } else if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
                why = "refused by the server";
            } else {
                why = last_error_text(raw, static_cast<int>(rc));
            }
            attempts.push_back("key " + file + (type.empty() ? "" : " (" + type + ")") + ": " + why);
        }
    }

    if (hop.use_agent && has_method(methods, "publickey")) {
        std::unique_ptr<LIBSSH2_AGENT, decltype(&libssh2_agent_free)> agent(libssh2_agent_init(raw),
                                                                            &libssh2_agent_free);
        // Connecting and listing talk to a local socket and do not block noticeably.
        if (!agent || libssh2_agent_connect(agent.get()) != 0 || libssh2_agent_list_identities(agent.get()) != 0) {
            attempts.push_back("ssh-agent (not reachable through SSH_AUTH_SOCK)");
        } else {
            libssh2_agent_publickey* identity = nullptr;
            libssh2_agent_publickey* previous = nullptr;
            int agent_keys = 0;
            while (libssh2_agent_get_identity(agent.get(), &identity, previous) == 0) {
                previous = identity;
                ++agent_keys;
                ++keys_offered;
                long rc = co_await session.call(
                    [&] { return static_cast<long>(libssh2_agent_userauth(agent.get(), user.c_str(), identity)); });
                if (rc == 0) {
                    libssh2_agent_disconnect(agent.get());
                    logger.debug("{}: authenticated with an ssh-agent key", hop.label());
                    co_return;
                }
            }
            libssh2_agent_disconnect(agent.get());
            attempts.push_back("ssh-agent (" + std::to_string(agent_keys) + " key(s), all refused)");
        }
    }

    if (hop.password) {
        if (has_method(methods, "password")) {
            long rc = co_await session.call([&] {
                return static_cast<long>(libssh2_userauth_password_ex(raw, user.c_str(), user_length,
                                                                      hop.password->c_str(),
                                                                      static_cast<unsigned>(hop.password->size()),
                                                                      nullptr));
            });
            if (rc == 0) co_return;
            attempts.push_back("password (refused)");
        } else if (has_method(methods, "keyboard-interactive")) {
            session.keyboard_interactive_password = &*hop.password;
            long rc = co_await session.call([&] {
                return static_cast<long>(
                    libssh2_userauth_keyboard_interactive_ex(raw, user.c_str(), user_length, &answer_with_password));
            });
            session.keyboard_interactive_password = nullptr;
            if (rc == 0) co_return;
            attempts.push_back("password over keyboard-interactive (refused)");
        } else {
            attempts.push_back("password (the server does not accept passwords)");
        }
    }

    std::string tried;
    for (const auto& a : attempts) tried += (tried.empty() ? "" : "; ") + a;
    if (tried.empty()) tried = "nothing (no identity file exists, no agent, no password)";

    if (keys_offered > 0 && rsa_keys_offered == keys_offered) {
        throw ConnectionError(
            "authentication of " + hop.label() + " failed: only RSA keys were offered (" + tried +
            "), and libssh2 1.10 cannot use RSA keys against OpenSSH >= 8.8: it signs only with ssh-rsa (SHA-1), "
            "which those servers refuse, and has no rsa-sha2-256/512. Use an ed25519 key (ssh-keygen -t ed25519) "
            "or an ECDSA key instead");
    }
    throw ConnectionError("authentication of " + hop.label() + " failed (the server accepts: " + methods +
                          "); tried: " + tried);
}

}  // namespace hpcexec::ssh
