// Connector: how hpcexec reaches a machine (this one, or a login node over SSH) to run commands and move files.
#pragma once

#include <hpcexec/component.hpp>
#include <hpcexec/export.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hpcexec {

/// A command to run on the target.
///
/// OWNERSHIP: a plain value; the connector copies what it needs before its coroutine first suspends.
struct CommandSpec {
    /// Either a shell command line, run by `/bin/sh -c` on the target, or an argv vector run without a shell
    /// (a remote connector quotes every element, so no argument is ever interpreted by a shell).
    std::variant<std::string, std::vector<std::string>> command;
    /// Working directory on the target; empty means the connector's default (the user's home for SSH, the current
    /// directory for local). Taken literally: spaces, quotes, `$` and newlines are not interpreted.
    std::string cwd;
    /// Variables added to (or overriding) the target's environment for this command.
    std::map<std::string, std::string> env;
    /// Bytes written to the command's standard input, which is then closed. Binary-safe.
    std::string stdin_data;
    /// Kill the command (with its whole process group where the connector can) after this long; none = no limit.
    std::optional<std::chrono::milliseconds> timeout;
};

/// What a finished command produced.
struct CommandResult {
    /// Exit status; 128+N when killed by signal N (as a shell reports it).
    int exit_status = -1;
    /// Everything written to standard output and standard error (binary-safe, captured completely).
    std::string stdout_data;
    std::string stderr_data;
    /// True when the command was killed because its timeout expired.
    bool timed_out = false;

    bool ok() const noexcept { return exit_status == 0 && !timed_out; }
};

/// What kind of file system entry a path names.
enum class FileType { regular, directory, symlink, other };

/// The result of Connector::stat.
struct FileInfo {
    FileType type = FileType::other;
    std::uint64_t size = 0;
    /// Permission bits (e.g. 0644).
    std::uint32_t mode = 0;
    /// Modification time, seconds since the Unix epoch.
    std::int64_t mtime = 0;
};

/// A command running on the target with its standard streams open, for long-lived workers (a Python worker
/// serving many calls) where starting one process per call would cost too much.
///
/// OWNERSHIP: returned by Connector::start as a unique_ptr; the caller owns it and must destroy it before the
/// connector. Destroying it kills the process if it still runs and releases what it holds (pipes, SSH channel).
/// THREAD: every method is a coroutine awaited on the kernel's event loop; at most one write and one read may be
/// in flight at a time.
/// ERRORS: ConnectionLost when the link to the target broke; Error when the process's streams are gone.
class HPCEXEC_API RemoteProcess {
public:
    RemoteProcess() = default;
    RemoteProcess(const RemoteProcess&) = delete;
    RemoteProcess& operator=(const RemoteProcess&) = delete;
    virtual ~RemoteProcess();

    /// Writes all of `data` to the process's standard input.
    virtual boost::asio::awaitable<void> write(std::string data) = 0;
    /// Returns the next bytes the process wrote to standard output (at least one), or "" at end of stream.
    virtual boost::asio::awaitable<std::string> read_some() = 0;
    /// Closes standard input (the process sees end of file).
    virtual boost::asio::awaitable<void> close_stdin() = 0;
    /// Waits for the process to exit and returns its exit status (128+N when killed by signal N).
    virtual boost::asio::awaitable<int> wait() = 0;
    /// What the process wrote to standard error so far (drained continuously so the process never blocks on it;
    /// the last 1 MiB is kept).
    virtual std::string stderr_text() const = 0;
    /// Kills the process (its whole process group where the connector can). Idempotent.
    virtual void kill() = 0;
};

/// Runs commands and moves files on one target machine.
///
/// THREAD: every method is a coroutine that must be awaited on the kernel's event loop executor (the executor passed
/// to the plugin's factory in ComponentContext). Many operations may be in flight at once; a connector is
/// responsible for its own concurrency limits. Synchronous callers use the kernel's sync_wait, never from the event
/// loop thread itself.
/// PATHS: every path is taken literally (no globbing, no tilde or variable expansion) except glob()'s pattern.
/// A relative path is relative to the target's home directory for remote connectors and to the process's current
/// directory for the local one.
/// ERRORS: a command that runs and fails is not an error: run() returns its CommandResult. run() throws
/// ConnectionError/ConnectionLost when the target cannot be reached or the link broke while it ran. File operations
/// throw FileError naming the operation, the path and the target's reason.
class HPCEXEC_API Connector : public Component {
public:
    ~Connector() override;

    /// A short human-readable name of the target for messages: "local", "user@host:port".
    virtual std::string target() const = 0;

    /// Runs a command to completion and returns its exit status and complete output.
    virtual boost::asio::awaitable<CommandResult> run(CommandSpec spec) = 0;

    /// Returns the contents of a file.
    virtual boost::asio::awaitable<std::string> read_file(std::string path) = 0;
    /// Creates or replaces a file with `data` (binary-safe), creating no parent directories.
    /// The file appears under its final name only when complete (written to a temporary name, then renamed).
    virtual boost::asio::awaitable<void> write_file(std::string path, std::string data) = 0;

    /// Copies a local file or directory tree to `remote_path` on the target (parents must exist). A directory's
    /// contents are copied into `remote_path`, which is created if missing.
    virtual boost::asio::awaitable<void> upload(std::string local_path, std::string remote_path) = 0;
    /// Copies a file or directory tree from the target to `local_path` on this machine.
    virtual boost::asio::awaitable<void> download(std::string remote_path, std::string local_path) = 0;

    /// Creates a directory and its missing parents (`mkdir -p`); an existing directory is not an error.
    virtual boost::asio::awaitable<void> mkdir(std::string path) = 0;
    /// Returns the paths matching a shell glob pattern (`*`, `?`, `[...]`), sorted; no match gives an empty list.
    virtual boost::asio::awaitable<std::vector<std::string>> glob(std::string pattern) = 0;
    /// Removes a file, or a directory tree when `recursive`. A missing path is not an error.
    virtual boost::asio::awaitable<void> remove(std::string path, bool recursive) = 0;
    /// Returns what is at `path` (symlinks are not followed), or nothing if the path does not exist.
    virtual boost::asio::awaitable<std::optional<FileInfo>> stat(std::string path) = 0;
    /// Returns the absolute path of the user's home directory on the target.
    virtual boost::asio::awaitable<std::string> home_directory() = 0;

    /// Starts a command with its standard streams open (spec.stdin_data is written first; spec.timeout is ignored:
    /// the caller decides when the process ends). The default implementation throws Error saying that this
    /// connector cannot keep a process open; callers then fall back to one run() per request.
    virtual boost::asio::awaitable<std::unique_ptr<RemoteProcess>> start(CommandSpec spec);
};

}  // namespace hpcexec
