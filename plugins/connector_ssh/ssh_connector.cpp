#include "ssh_connector.hpp"

#include "command_runner.hpp"
#include "connection_settings.hpp"
#include "session_pool.hpp"
#include "sftp_transfer.hpp"
#include "ssh_process.hpp"
#include "tar_transfer.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

namespace hpcexec::ssh {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

// A name next to `path` for writing it before the rename: ".<name>.hpcexec-<random>.tmp" in the same directory
// (a rename is only atomic within one file system).
std::string temporary_name_for(const std::string& path) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    char suffix[17];
    std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
    auto slash = path.rfind('/');
    std::string directory = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return directory + "." + name + ".hpcexec-" + suffix + ".tmp";
}

// Runs a helper command for a file operation; a non-zero exit status is a FileError with its standard error.
asio::awaitable<CommandResult> run_file_command(const std::shared_ptr<Endpoint>& endpoint,
                                                const std::string& operation, const std::string& path,
                                                const std::string& command_line) {
    CommandResult result = co_await run_helper(endpoint, command_line);
    if (result.exit_status != 0) {
        std::string reason = trimmed(result.stderr_data);
        if (reason.empty()) reason = "exit status " + std::to_string(result.exit_status);
        throw FileError(operation, path, reason);
    }
    co_return result;
}

// Writes a remote file atomically: SFTP to a temporary name, then rename over the target. OpenSSH's SFTP rename
// (protocol v3) will not replace an existing file and libssh2 1.10 has no posix-rename extension, so then
// `mv -f` (rename(2), atomic too) does it. Any failure removes the temporary file.
asio::awaitable<void> write_atomically(const std::shared_ptr<Endpoint>& endpoint, const std::string& path,
                                       const std::function<ByteSource()>& make_source, const std::string& operation) {
    const std::string temporary = temporary_name_for(path);
    auto lease = co_await endpoint->sftp();
    bool renamed = false;
    std::exception_ptr error;
    try {
        co_await sftp_write(*lease.sftp, temporary, make_source(), operation);
        renamed = co_await sftp_rename(*lease.sftp, temporary, path);
    } catch (const TransportBroken&) {
        throw;  // nothing to clean up with; retried by the caller
    } catch (...) {
        error = std::current_exception();
    }
    if (error) {
        co_await sftp_unlink_quietly(*lease.sftp, temporary);
        endpoint->recycle(std::move(lease));
        std::rethrow_exception(error);
    }
    endpoint->recycle(std::move(lease));  // before mv: it needs a channel slot of its own
    if (!renamed) {
        CommandResult moved =
            co_await run_helper(endpoint, "mv -f -- " + shell_quote(temporary) + " " + shell_quote(path));
        if (moved.exit_status != 0) {
            co_await run_helper(endpoint, "rm -f -- " + shell_quote(temporary));
            throw FileError(operation, path, trimmed(moved.stderr_data));
        }
    }
}

// A ByteSource reading a local file.
ByteSource local_file_source(const std::string& local_path) {
    auto in = std::make_shared<std::ifstream>(local_path, std::ios::binary);
    if (!*in) throw FileError("upload", local_path, std::generic_category().message(errno));
    return [in, local_path](char* buffer, std::size_t size) -> std::size_t {
        in->read(buffer, static_cast<std::streamsize>(size));
        if (in->bad()) throw FileError("upload", local_path, "read error");
        return static_cast<std::size_t>(in->gcount());
    };
}

}  // namespace

SshConnector::SshConnector(const ComponentContext& context) {
    std::vector<HopSettings> hops = resolve_connection(context.config, context.config_path);
    target_ = hops.back().label();
    if (hops.back().command_server) command_server_python_ = hops.back().command_server_python;
    endpoint_ = SessionPool::instance().acquire(hops, context.executor, context.logger);
}

SshConnector::~SshConnector() { SessionPool::instance().release(std::move(endpoint_)); }

std::string SshConnector::target() const { return target_; }

asio::awaitable<CommandResult> SshConnector::run(CommandSpec spec) {
    co_return co_await run_command(endpoint_, std::move(spec), command_server_python_);
}

asio::awaitable<std::unique_ptr<RemoteProcess>> SshConnector::start(CommandSpec spec) {
    co_return co_await SshProcess::start(endpoint_, std::move(spec));
}

asio::awaitable<std::string> SshConnector::read_file(std::string path) {
    auto endpoint = endpoint_;
    co_return co_await retry_if_link_broke<std::string>([&]() -> asio::awaitable<std::string> {
        auto lease = co_await endpoint->sftp();
        std::string content;
        co_await sftp_read(*lease.sftp, path, [&](const char* data, std::size_t size) { content.append(data, size); },
                           "read_file");
        endpoint->recycle(std::move(lease));
        co_return content;
    });
}

asio::awaitable<void> SshConnector::write_file(std::string path, std::string data) {
    auto endpoint = endpoint_;
    co_await retry_if_link_broke<void>([&]() -> asio::awaitable<void> {
        co_await write_atomically(endpoint, path, [&] {
            // A fresh source per attempt: the whole string from its start.
            auto offset = std::make_shared<std::size_t>(0);
            return ByteSource([&data, offset](char* buffer, std::size_t size) {
                std::size_t n = std::min(size, data.size() - *offset);
                std::memcpy(buffer, data.data() + *offset, n);
                *offset += n;
                return n;
            });
        }, "write_file");
    });
}

asio::awaitable<void> SshConnector::upload(std::string local_path, std::string remote_path) {
    auto endpoint = endpoint_;
    std::error_code ec;
    auto status = fs::status(local_path, ec);
    if (ec || !fs::exists(status)) throw FileError("upload", local_path, "no such local file or directory");
    if (fs::is_directory(status)) {
        co_await retry_if_link_broke<void>([&] { return tar_upload(endpoint, local_path, remote_path); });
    } else {
        co_await retry_if_link_broke<void>([&]() -> asio::awaitable<void> {
            co_await write_atomically(endpoint, remote_path, [&] { return local_file_source(local_path); }, "upload");
        });
    }
}

asio::awaitable<void> SshConnector::download(std::string remote_path, std::string local_path) {
    auto endpoint = endpoint_;
    co_await retry_if_link_broke<void>([&]() -> asio::awaitable<void> {
        auto lease = co_await endpoint->sftp();
        // stat follows a symlink here: a link to a directory is downloaded as the directory.
        auto info = co_await sftp_lstat(*lease.sftp, remote_path);
        bool directory = info && info->type == FileType::directory;
        if (info && info->type == FileType::symlink) {
            CommandResult test = co_await run_helper(endpoint, "test -d " + shell_quote(remote_path));
            directory = test.exit_status == 0;
        }
        if (!info) {
            endpoint->recycle(std::move(lease));
            throw FileError("download", remote_path, "no such file or directory");
        }
        if (directory) {
            endpoint->recycle(std::move(lease));
            co_await tar_download(endpoint, remote_path, local_path);
            co_return;
        }
        // A file: into a temporary local file, renamed when complete.
        const std::string temporary = temporary_name_for(local_path);
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw FileError("download", local_path, std::generic_category().message(errno));
        std::exception_ptr error;
        try {
            co_await sftp_read(*lease.sftp, remote_path, [&](const char* data, std::size_t size) {
                out.write(data, static_cast<std::streamsize>(size));
                if (!out) throw FileError("download", local_path, "write error (disk full?)");
            }, "download");
        } catch (...) {
            error = std::current_exception();
        }
        out.close();
        std::error_code ignored;
        if (error) {
            fs::remove(temporary, ignored);
            std::rethrow_exception(error);
        }
        endpoint->recycle(std::move(lease));
        fs::rename(temporary, local_path, ignored);
        if (ignored) {
            fs::remove(temporary, ignored);
            throw FileError("download", local_path, "cannot rename the downloaded file into place");
        }
    });
}

asio::awaitable<void> SshConnector::mkdir(std::string path) {
    auto endpoint = endpoint_;
    co_await retry_if_link_broke<void>([&]() -> asio::awaitable<void> {
        co_await run_file_command(endpoint, "mkdir", path, "mkdir -p -- " + shell_quote(path));
    });
}

asio::awaitable<std::vector<std::string>> SshConnector::glob(std::string pattern) {
    auto endpoint = endpoint_;
    // The pattern is data in a variable: expanding it unquoted with IFS empty does pathname expansion and nothing
    // else (no splitting at spaces, no $ or quote interpretation). Matches are NUL-terminated (names may hold
    // newlines); a pattern that matches nothing stays itself, which the existence test drops.
    const std::string script = "p=" + shell_quote(pattern) +
                               "; IFS=''; set +f; for f in $p; do "
                               "if [ -e \"$f\" ] || [ -L \"$f\" ]; then printf '%s\\000' \"$f\"; fi; done";
    CommandResult result = co_await retry_if_link_broke<CommandResult>(
        [&] { return run_file_command(endpoint, "glob", pattern, script); });
    std::vector<std::string> matches;
    std::size_t start = 0;
    while (start < result.stdout_data.size()) {
        std::size_t end = result.stdout_data.find('\0', start);
        if (end == std::string::npos) end = result.stdout_data.size();
        matches.push_back(result.stdout_data.substr(start, end - start));
        start = end + 1;
    }
    std::sort(matches.begin(), matches.end());
    co_return matches;
}

asio::awaitable<void> SshConnector::remove(std::string path, bool recursive) {
    auto endpoint = endpoint_;
    const std::string q = shell_quote(path);
    const std::string script = recursive ? "rm -rf -- " + q
                                         : "if [ -d " + q + " ] && [ ! -L " + q + " ]; then rmdir -- " + q +
                                               "; else rm -f -- " + q + "; fi";
    co_await retry_if_link_broke<void>([&]() -> asio::awaitable<void> {
        co_await run_file_command(endpoint, "remove", path, script);
    });
}

asio::awaitable<std::optional<FileInfo>> SshConnector::stat(std::string path) {
    auto endpoint = endpoint_;
    co_return co_await retry_if_link_broke<std::optional<FileInfo>>(
        [&]() -> asio::awaitable<std::optional<FileInfo>> {
            auto lease = co_await endpoint->sftp();
            auto info = co_await sftp_lstat(*lease.sftp, path);
            endpoint->recycle(std::move(lease));
            co_return info;
        });
}

asio::awaitable<std::string> SshConnector::home_directory() {
    auto endpoint = endpoint_;
    if (endpoint->cached_home) co_return *endpoint->cached_home;
    std::string home = co_await retry_if_link_broke<std::string>([&]() -> asio::awaitable<std::string> {
        auto lease = co_await endpoint->sftp();
        std::string path = co_await sftp_realpath(*lease.sftp, ".");
        endpoint->recycle(std::move(lease));
        co_return path;
    });
    endpoint->cached_home = home;
    co_return home;
}

}  // namespace hpcexec::ssh
