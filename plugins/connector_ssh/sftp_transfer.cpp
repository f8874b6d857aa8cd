#include "sftp_transfer.hpp"

#include "ssh_support.hpp"

#include <hpcexec/errors.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstring>
#include <vector>

namespace hpcexec::ssh {
namespace asio = boost::asio;

namespace {

// libssh2 splits SFTP writes into ~30 KB requests and sends all of the buffer it is given before waiting for the
// acknowledgements; this much is in flight at once (the server's channel window, 2 MB for OpenSSH, paces it).
constexpr std::size_t write_window = 4 * 1024 * 1024;
// libssh2 reads ahead in proportion to the buffer it is given.
constexpr std::size_t read_buffer = 1024 * 1024;

std::string sftp_status_text(unsigned long code) {
    switch (code) {
    case LIBSSH2_FX_EOF: return "end of file";
    case LIBSSH2_FX_NO_SUCH_FILE: return "no such file or directory";
    case LIBSSH2_FX_PERMISSION_DENIED: return "permission denied";
    case LIBSSH2_FX_FAILURE: return "failure (e.g. a directory where a file is expected)";
    case LIBSSH2_FX_BAD_MESSAGE: return "bad message";
    case LIBSSH2_FX_OP_UNSUPPORTED: return "operation not supported by the server";
    case LIBSSH2_FX_NO_SUCH_PATH: return "no such path";
    case LIBSSH2_FX_FILE_ALREADY_EXISTS: return "file already exists";
    case LIBSSH2_FX_WRITE_PROTECT: return "write protected";
    case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: return "no space left on the file system";
    case LIBSSH2_FX_QUOTA_EXCEEDED: return "quota exceeded";
    case LIBSSH2_FX_DIR_NOT_EMPTY: return "directory not empty";
    case LIBSSH2_FX_NOT_A_DIRECTORY: return "not a directory";
    case LIBSSH2_FX_INVALID_FILENAME: return "invalid file name";
    case LIBSSH2_FX_LINK_LOOP: return "too many levels of symbolic links";
    default: return "SFTP status " + std::to_string(code);
    }
}

// What went wrong with a failed SFTP call, in the server's words when it answered.
std::string reason_of(SftpHandle& sftp, long rc) {
    if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) return sftp_status_text(libssh2_sftp_last_error(sftp.raw()));
    return last_error_text(sftp.session().raw(), static_cast<int>(rc));
}

// Opens a file; throws FileError with the server's reason.
asio::awaitable<LIBSSH2_SFTP_HANDLE*> open_file(SftpHandle& sftp, const std::string& path, unsigned long flags,
                                                long mode, const std::string& operation) {
    int error = 0;
    LIBSSH2_SFTP_HANDLE* handle = co_await sftp.session().call_for_pointer<LIBSSH2_SFTP_HANDLE>(
        [&] {
            return libssh2_sftp_open_ex(sftp.raw(), path.data(), static_cast<unsigned>(path.size()), flags, mode,
                                        LIBSSH2_SFTP_OPENFILE);
        },
        error);
    if (handle == nullptr) throw FileError(operation, path, reason_of(sftp, error));
    co_return handle;
}

asio::awaitable<void> close_file(SftpHandle& sftp, LIBSSH2_SFTP_HANDLE* handle) {
    co_await sftp.session().call([&] { return static_cast<long>(libssh2_sftp_close_handle(handle)); });
}

// Closes the handle however the operation ended; a transfer error is reported, not a close error after it.
template <class Body>
asio::awaitable<void> with_file(SftpHandle& sftp, LIBSSH2_SFTP_HANDLE* handle, Body body) {
    std::exception_ptr error;
    try {
        co_await body();
    } catch (...) {
        error = std::current_exception();
    }
    if (!sftp.session().failed()) {
        try {
            co_await close_file(sftp, handle);
        } catch (...) {
            if (!error) error = std::current_exception();
        }
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace

asio::awaitable<std::unique_ptr<SftpHandle>> SftpHandle::open(std::shared_ptr<SshSession> session) {
    int error = 0;
    LIBSSH2_SESSION* raw = session->raw();
    LIBSSH2_SFTP* sftp =
        co_await session->call_for_pointer<LIBSSH2_SFTP>([&] { return libssh2_sftp_init(raw); }, error);
    if (sftp == nullptr) {
        throw ConnectionError("cannot start SFTP on " + session->label() + ": " + last_error_text(raw, error));
    }
    co_return std::unique_ptr<SftpHandle>(new SftpHandle(std::move(session), sftp));
}

SftpHandle::~SftpHandle() {
    if (session_->failed()) {
        libssh2_sftp_shutdown(sftp_);
        return;
    }
    auto session = session_;
    LIBSSH2_SFTP* sftp = sftp_;
    asio::co_spawn(session->executor(), [session, sftp]() -> asio::awaitable<void> {
        try {
            co_await session->call([sftp] { return static_cast<long>(libssh2_sftp_shutdown(sftp)); });
        } catch (const std::exception&) {
        }
    }, asio::detached);
}

asio::awaitable<void> sftp_read(SftpHandle& sftp, const std::string& path, const ByteSink& sink,
                                const std::string& operation) {
    LIBSSH2_SFTP_HANDLE* handle = co_await open_file(sftp, path, LIBSSH2_FXF_READ, 0, operation);
    co_await with_file(sftp, handle, [&]() -> asio::awaitable<void> {
        std::vector<char> buffer(read_buffer);
        for (;;) {
            long rc = co_await sftp.session().call(
                [&] { return static_cast<long>(libssh2_sftp_read(handle, buffer.data(), buffer.size())); });
            if (rc < 0) throw FileError(operation, path, reason_of(sftp, rc));
            if (rc == 0) co_return;
            sink(buffer.data(), static_cast<std::size_t>(rc));
        }
    });
}

asio::awaitable<void> sftp_write(SftpHandle& sftp, const std::string& path, const ByteSource& source,
                                 const std::string& operation) {
    LIBSSH2_SFTP_HANDLE* handle = co_await open_file(
        sftp, path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
        LIBSSH2_SFTP_S_IRUSR | LIBSSH2_SFTP_S_IWUSR | LIBSSH2_SFTP_S_IRGRP | LIBSSH2_SFTP_S_IWGRP |
            LIBSSH2_SFTP_S_IROTH | LIBSSH2_SFTP_S_IWOTH,  // 0666, less the server's umask, as a new file gets
        operation);
    co_await with_file(sftp, handle, [&]() -> asio::awaitable<void> {
        // `pending` holds the bytes not yet acknowledged, from `start`: libssh2 must be given them again, followed
        // by new data, until it reports them written (it remembers which of them it already sent).
        std::vector<char> pending;
        std::size_t start = 0;
        bool source_done = false;
        for (;;) {
            std::size_t unacked = pending.size() - start;
            if (!source_done && unacked < write_window / 2) {
                // Compact, then top up to the window.
                if (start > 0) {
                    std::memmove(pending.data(), pending.data() + start, unacked);
                    pending.resize(unacked);
                    start = 0;
                }
                std::size_t old_size = pending.size();
                pending.resize(write_window);
                std::size_t filled = old_size;
                while (filled < pending.size()) {
                    std::size_t n = source(pending.data() + filled, pending.size() - filled);
                    if (n == 0) {
                        source_done = true;
                        break;
                    }
                    filled += n;
                }
                pending.resize(filled);
                unacked = pending.size();
            }
            if (unacked == 0) co_return;
            long rc = co_await sftp.session().call([&] {
                return static_cast<long>(libssh2_sftp_write(handle, pending.data() + start, unacked));
            });
            if (rc < 0) throw FileError(operation, path, reason_of(sftp, rc));
            start += static_cast<std::size_t>(rc);
        }
    });
}

asio::awaitable<std::optional<FileInfo>> sftp_lstat(SftpHandle& sftp, const std::string& path) {
    LIBSSH2_SFTP_ATTRIBUTES attributes{};
    long rc = co_await sftp.session().call([&] {
        return static_cast<long>(libssh2_sftp_stat_ex(sftp.raw(), path.data(), static_cast<unsigned>(path.size()),
                                                      LIBSSH2_SFTP_LSTAT, &attributes));
    });
    if (rc < 0) {
        if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
            unsigned long code = libssh2_sftp_last_error(sftp.raw());
            if (code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH) co_return std::nullopt;
        }
        throw FileError("stat", path, reason_of(sftp, rc));
    }
    FileInfo info;
    unsigned long mode = attributes.permissions;
    if (LIBSSH2_SFTP_S_ISLNK(mode)) info.type = FileType::symlink;
    else if (LIBSSH2_SFTP_S_ISDIR(mode)) info.type = FileType::directory;
    else if (LIBSSH2_SFTP_S_ISREG(mode)) info.type = FileType::regular;
    else info.type = FileType::other;
    info.size = attributes.filesize;
    info.mode = static_cast<std::uint32_t>(mode & 07777);
    info.mtime = static_cast<std::int64_t>(attributes.mtime);
    co_return info;
}

asio::awaitable<std::string> sftp_realpath(SftpHandle& sftp, const std::string& path) {
    std::vector<char> target(4096);
    long rc = co_await sftp.session().call([&] {
        return static_cast<long>(libssh2_sftp_symlink_ex(sftp.raw(), path.data(), static_cast<unsigned>(path.size()),
                                                         target.data(), static_cast<unsigned>(target.size()),
                                                         LIBSSH2_SFTP_REALPATH));
    });
    if (rc < 0) throw FileError("realpath", path, reason_of(sftp, rc));
    co_return std::string(target.data(), static_cast<std::size_t>(rc));
}

asio::awaitable<bool> sftp_rename(SftpHandle& sftp, const std::string& from, const std::string& to) {
    long rc = co_await sftp.session().call([&] {
        return static_cast<long>(libssh2_sftp_rename_ex(
            sftp.raw(), from.data(), static_cast<unsigned>(from.size()), to.data(), static_cast<unsigned>(to.size()),
            LIBSSH2_SFTP_RENAME_OVERWRITE | LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE));
    });
    if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) co_return false;
    if (rc < 0) throw FileError("rename", from, reason_of(sftp, rc));
    co_return true;
}

asio::awaitable<void> sftp_unlink_quietly(SftpHandle& sftp, const std::string& path) {
    co_await sftp.session().call([&] {
        long rc = libssh2_sftp_unlink_ex(sftp.raw(), path.data(), static_cast<unsigned>(path.size()));
        return rc == LIBSSH2_ERROR_EAGAIN ? rc : 0L;
    });
}

}  // namespace hpcexec::ssh
