// The error types that cross the boundary between plugins, the kernel and user code.
//
// OWNERSHIP: plain value types; copyable; thrown by value and caught by reference.
// THREAD: immutable once constructed; safe to read from any thread.
// Every error's what() is a complete sentence a user can act on: it names the key path, the file, the host or the
// command involved and carries what the remote side said.
#pragma once

#include <hpcexec/export.hpp>

#include <optional>
#include <stdexcept>
#include <string>

namespace hpcexec {

/// Base of every error hpcexec throws on purpose. Catch this to catch them all.
class HPCEXEC_API Error : public std::runtime_error {
public:
    explicit Error(const std::string& message);
    ~Error() override;
};

/// A configuration value is missing, unknown or of the wrong type. what() starts with the full key path,
/// e.g. "queue_system.slurm.polling_intervall: unknown key (did you mean polling_interval?)".
class HPCEXEC_API ConfigError : public Error {
public:
    ConfigError(std::string key_path, std::string problem);
    ~ConfigError() override;
    /// The dotted key path of the offending value ("" for the document itself).
    const std::string& key_path() const noexcept { return key_path_; }
    /// The problem without the key path.
    const std::string& problem() const noexcept { return problem_; }

private:
    std::string key_path_;
    std::string problem_;
};

/// A plugin library could not be loaded or a component could not be created. what() names the file (or the
/// component) and the cause.
class HPCEXEC_API PluginError : public Error {
public:
    using Error::Error;
    ~PluginError() override;
};

/// A command ran and exited with a non-zero status (or was killed by a signal or by its timeout).
class HPCEXEC_API CommandFailed : public Error {
public:
    CommandFailed(std::string where, std::string command, int exit_status, std::string stdout_text,
                  std::string stderr_text, bool timed_out = false);
    ~CommandFailed() override;
    /// Where it ran: "local" or "user@host".
    const std::string& where() const noexcept { return where_; }
    const std::string& command() const noexcept { return command_; }
    /// The exit status; 128+N when killed by signal N; -1 when unknown.
    int exit_status() const noexcept { return exit_status_; }
    const std::string& stdout_text() const noexcept { return stdout_; }
    const std::string& stderr_text() const noexcept { return stderr_; }
    bool timed_out() const noexcept { return timed_out_; }

private:
    std::string where_;
    std::string command_;
    int exit_status_;
    std::string stdout_;
    std::string stderr_;
    bool timed_out_;
};

/// A file operation (read, write, upload, glob...) failed on the target. what() names the operation, the path and
/// what the target said (errno text, SFTP status, remote stderr).
class HPCEXEC_API FileError : public Error {
public:
    FileError(std::string operation, std::string path, std::string reason);
    ~FileError() override;
    const std::string& operation() const noexcept { return operation_; }
    const std::string& path() const noexcept { return path_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    std::string operation_;
    std::string path_;
    std::string reason_;
};

/// The target could not be reached, refused authentication, or failed host key verification.
class HPCEXEC_API ConnectionError : public Error {
public:
    using Error::Error;
    ~ConnectionError() override;
};

/// The connection broke while an operation was in flight: its outcome on the target is unknown.
/// Never reported as success or as exit status 0.
class HPCEXEC_API ConnectionLost : public ConnectionError {
public:
    using ConnectionError::ConnectionError;
    ~ConnectionLost() override;
};

/// The queue system refused a request (sbatch's message is in what()) or could not be reached.
class HPCEXEC_API SchedulerError : public Error {
public:
    using Error::Error;
    ~SchedulerError() override;
};

/// A checkpoint store could not read or write a record; what() names the store, the key and the reason.
class HPCEXEC_API CheckpointError : public Error {
public:
    using Error::Error;
    ~CheckpointError() override;
};

/// A value could not be serialized or deserialized; what() names the serializer and the reason.
class HPCEXEC_API SerializationError : public Error {
public:
    using Error::Error;
    ~SerializationError() override;
};

/// A wait ran out of time. The awaited operation itself goes on (a job keeps running).
class HPCEXEC_API TimeoutError : public Error {
public:
    using Error::Error;
    ~TimeoutError() override;
};

}  // namespace hpcexec
