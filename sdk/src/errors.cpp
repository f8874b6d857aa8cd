#include <hpcexec/errors.hpp>

#include <utility>

namespace hpcexec {
namespace {

std::string describe_command_failure(const std::string& where, const std::string& command, int exit_status,
                                     const std::string& stderr_text, bool timed_out) {
    std::string message = "command failed on " + where + ": " + command;
    message += timed_out ? " (killed after its timeout)" : " (exit status " + std::to_string(exit_status) + ")";
    // Keep the message readable: the full stderr stays available through stderr_text().
    constexpr std::size_t max_stderr_in_message = 2000;
    if (!stderr_text.empty()) {
        message += ": ";
        message += stderr_text.size() > max_stderr_in_message
                       ? stderr_text.substr(0, max_stderr_in_message) + "..."
                       : stderr_text;
        while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
    }
    return message;
}

}  // namespace

Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;

ConfigError::ConfigError(std::string key_path, std::string problem)
    : Error(key_path.empty() ? problem : key_path + ": " + problem),
      key_path_(std::move(key_path)),
      problem_(std::move(problem)) {}
ConfigError::~ConfigError() = default;

PluginError::~PluginError() = default;

CommandFailed::CommandFailed(std::string where, std::string command, int exit_status, std::string stdout_text,
                             std::string stderr_text, bool timed_out)
    : Error(describe_command_failure(where, command, exit_status, stderr_text, timed_out)),
      where_(std::move(where)),
      command_(std::move(command)),
      exit_status_(exit_status),
      stdout_(std::move(stdout_text)),
      stderr_(std::move(stderr_text)),
      timed_out_(timed_out) {}
CommandFailed::~CommandFailed() = default;

FileError::FileError(std::string operation, std::string path, std::string reason)
    : Error(operation + " " + path + ": " + reason),
      operation_(std::move(operation)),
      path_(std::move(path)),
      reason_(std::move(reason)) {}
FileError::~FileError() = default;

ConnectionError::~ConnectionError() = default;
ConnectionLost::~ConnectionLost() = default;
SchedulerError::~SchedulerError() = default;
CheckpointError::~CheckpointError() = default;
SerializationError::~SerializationError() = default;
TimeoutError::~TimeoutError() = default;

}  // namespace hpcexec
