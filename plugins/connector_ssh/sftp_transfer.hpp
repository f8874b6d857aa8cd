// SFTP: single files (read, write, download, upload), stat, realpath, rename, on one SFTP channel.
#pragma once

#include "ssh_session.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/awaitable.hpp>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace hpcexec::ssh {

/// One SFTP subsystem channel. libssh2 keeps per-channel state for each SFTP request kind, so one handle serves
/// one operation at a time; the Endpoint hands them out (and keeps one idle handle for the next operation).
/// OWNERSHIP: holds the session; the destructor shuts the channel down (in a detached coroutine while the session
/// is healthy). THREAD: the event loop's thread only.
class SftpHandle {
public:
    /// Starts the SFTP subsystem. Throws TransportBroken when the connection is gone, ConnectionError when the
    /// server has no SFTP subsystem.
    static boost::asio::awaitable<std::unique_ptr<SftpHandle>> open(std::shared_ptr<SshSession> session);
    ~SftpHandle();
    SftpHandle(const SftpHandle&) = delete;
    SftpHandle& operator=(const SftpHandle&) = delete;

    SshSession& session() noexcept { return *session_; }
    const std::shared_ptr<SshSession>& session_ptr() const noexcept { return session_; }
    LIBSSH2_SFTP* raw() const noexcept { return sftp_; }

private:
    SftpHandle(std::shared_ptr<SshSession> session, LIBSSH2_SFTP* sftp) : session_(std::move(session)), sftp_(sftp) {}
    std::shared_ptr<SshSession> session_;
    LIBSSH2_SFTP* sftp_;
};

/// Gives the next bytes of an upload into `buffer` (at most `size`); 0 at the end. Throws FileError on a local
/// read error.
using ByteSource = std::function<std::size_t(char* buffer, std::size_t size)>;
/// Takes the next bytes of a download. Throws FileError on a local write error.
using ByteSink = std::function<void(const char* data, std::size_t size)>;

// Every operation below throws FileError(operation, path, the server's reason) when the server refuses, and
// TransportBroken when the connection breaks. `operation` names the user-level operation in messages.

/// Streams a remote file to `sink`, with libssh2's read-ahead (several requests in flight).
boost::asio::awaitable<void> sftp_read(SftpHandle& sftp, const std::string& path, const ByteSink& sink,
                                       const std::string& operation);
/// Creates or truncates a remote file and writes everything `source` gives, pipelined: up to 4 MB of write
/// requests are in flight, not one round trip per block.
boost::asio::awaitable<void> sftp_write(SftpHandle& sftp, const std::string& path, const ByteSource& source,
                                        const std::string& operation);
/// lstat: nothing when the path does not exist.
boost::asio::awaitable<std::optional<FileInfo>> sftp_lstat(SftpHandle& sftp, const std::string& path);
/// The absolute, canonical form of a path ("." is the home directory).
boost::asio::awaitable<std::string> sftp_realpath(SftpHandle& sftp, const std::string& path);
/// Renames; returns false when the server refuses (OpenSSH's SFTP v3 rename refuses to replace an existing file).
boost::asio::awaitable<bool> sftp_rename(SftpHandle& sftp, const std::string& from, const std::string& to);
/// Removes a file; errors are ignored (used to clean up temporary files).
boost::asio::awaitable<void> sftp_unlink_quietly(SftpHandle& sftp, const std::string& path);

}  // namespace hpcexec::ssh
