// Small things every part of the SSH connector needs: libssh2's one-time initialisation, its error texts, the
// internal "transport broke" error, and base64 (for SHA256 host key fingerprints).
#pragma once

#include <hpcexec/errors.hpp>

#include <libssh2.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace hpcexec::ssh {

/// Initialises libssh2 (and its crypto backend) once per process; cheap after the first call. THREAD: any.
void ensure_libssh2_initialized();

/// libssh2's own text for the last error on `session` ("Channel open failure (administratively prohibited)"),
/// or "libssh2 error <rc>" when it has none.
std::string last_error_text(LIBSSH2_SESSION* session, int rc);

/// True for the libssh2 results that mean the connection itself is gone (socket closed, reset, protocol breakage),
/// as opposed to a failure of one request on a healthy connection.
bool is_transport_failure(int rc) noexcept;

/// Thrown by SshSession when its connection is gone. It is a ConnectionLost; operations that had not started yet
/// catch it to retry on a fresh connection, the others let it (or a more specific ConnectionLost) through.
class TransportBroken : public ConnectionLost {
public:
    using ConnectionLost::ConnectionLost;
};

/// A connection attempt failed in a way that may pass (refused, reset, timed out, the link broke during the
/// handshake), as opposed to a refusal that will not (host key, authentication). Only these are retried.
class TransientConnectError : public ConnectionError {
public:
    using ConnectionError::ConnectionError;
};

/// Standard base64 without '=' padding, as OpenSSH prints SHA256 fingerprints.
std::string base64_unpadded(const unsigned char* data, std::size_t size);
/// Decodes standard base64 (padding and whitespace tolerated); stops at the first invalid character.
std::string base64_decode(std::string_view text);

}  // namespace hpcexec::ssh
