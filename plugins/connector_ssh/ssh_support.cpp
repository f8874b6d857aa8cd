#include "ssh_support.hpp"

#include <mutex>

namespace hpcexec::ssh {

void ensure_libssh2_initialized() {
    // libssh2_init is not thread-safe and must run before the first session is made. libssh2_exit is never called:
    // OpenSSL's state outlives this plugin anyway, and another user of libssh2 in the process may still need it.
    static std::once_flag once;
    std::call_once(once, [] {
        if (libssh2_init(0) != 0) throw ConnectionError("cannot initialise libssh2 (its crypto backend failed)");
    });
}

std::string last_error_text(LIBSSH2_SESSION* session, int rc) {
    char* message = nullptr;
    int length = 0;
    if (session != nullptr) libssh2_session_last_error(session, &message, &length, 0);
    if (message != nullptr && length > 0) return std::string(message, static_cast<std::size_t>(length));
    return "libssh2 error " + std::to_string(rc);
}

bool is_transport_failure(int rc) noexcept {
    switch (rc) {
    case LIBSSH2_ERROR_BANNER_RECV:
    case LIBSSH2_ERROR_BANNER_SEND:
    case LIBSSH2_ERROR_INVALID_MAC:
    case LIBSSH2_ERROR_KEX_FAILURE:
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_KEY_EXCHANGE_FAILURE:
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_DECRYPT:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_PROTO:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_BAD_SOCKET:
        return true;
    default:
        return false;
    }
}

namespace {
constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_unpadded(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve((size * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 2 < size; i += 3) {
        unsigned v = (unsigned(data[i]) << 16) | (unsigned(data[i + 1]) << 8) | unsigned(data[i + 2]);
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += base64_alphabet[(v >> 6) & 63];
        out += base64_alphabet[v & 63];
    }
    if (size - i == 1) {
        unsigned v = unsigned(data[i]) << 16;
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
    } else if (size - i == 2) {
        unsigned v = (unsigned(data[i]) << 16) | (unsigned(data[i + 1]) << 8);
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += base64_alphabet[(v >> 6) & 63];
    }
    return out;
}

std::string base64_decode(std::string_view text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        int value;
        if (c >= 'A' && c <= 'Z') value = c - 'A';
        else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
        else if (c >= '0' && c <= '9') value = c - '0' + 52;
        else if (c == '+') value = 62;
        else if (c == '/') value = 63;
        else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        else break;  // '=' padding or garbage: the end
        buffer = (buffer << 6) | unsigned(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

}  // namespace hpcexec::ssh
