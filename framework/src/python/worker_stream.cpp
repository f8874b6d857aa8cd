#include "python/worker_stream.hpp"

#include "python/worker_protocol.hpp"

#include <hpcexec/errors.hpp>

#include <cstdio>

namespace hpcexec::python {
namespace {

// The version line is short; a longer first line is not from the bootstrap.
constexpr std::size_t max_version_line = 128;
// How much of a worker's stderr goes into a message (its end, where the traceback of a crash is).
constexpr std::size_t stderr_in_message = 4000;

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string printable(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes.substr(0, 60)) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    return out;
}

// "3.11.7" -> {3, 11}; {0, 0} when it is not a version.
std::pair<int, int> major_minor(const std::string& version) {
    int major = 0, minor = 0;
    if (std::sscanf(version.c_str(), "%d.%d", &major, &minor) != 2) return {0, 0};
    return {major, minor};
}

// What an exit before the version line says about python_cmd.
std::string missing_interpreter_problem(int exit_status) {
    if (exit_status == 127) return "was not found";
    if (exit_status == 126) return "cannot be executed";
    return "exited before answering as a Python interpreter";
}

}  // namespace

PythonWorkerError worker_error(const WorkerSettings& settings, const std::string& problem, const WorkerExit& exit) {
    std::string message = "python_cmd '" + settings.launch.python_cmd + "' on " + settings.target + " " + problem;
    if (exit.status >= 0) message += " (exit status " + std::to_string(exit.status) + ")";
    std::string stderr_text = trimmed(exit.stderr_text);
    if (stderr_text.size() > stderr_in_message)
        stderr_text = "..." + stderr_text.substr(stderr_text.size() - stderr_in_message);
    if (!stderr_text.empty()) message += "; its standard error:\n" + stderr_text;
    return PythonWorkerError(message, settings.launch.python_cmd, settings.target, exit.status, exit.stderr_text);
}

WorkerStream::WorkerStream(ReadSome read_some, WaitExit wait_exit, const WorkerSettings& settings)
    : read_some_(std::move(read_some)), wait_exit_(std::move(wait_exit)), settings_(settings) {}

boost::asio::awaitable<bool> WorkerStream::fill(std::size_t size) {
    while (buffer_.size() - position_ < size) {
        std::string bytes = co_await read_some_();
        if (bytes.empty()) co_return false;
        if (position_ > 0 && position_ == buffer_.size()) {
            buffer_.clear();
            position_ = 0;
        }
        buffer_ += bytes;
    }
    co_return true;
}

std::string WorkerStream::take(std::size_t size) {
    std::string out = buffer_.substr(position_, size);
    position_ += size;
    return out;
}

boost::asio::awaitable<std::optional<std::string>> WorkerStream::read_frame() {
    // (Awaited values are bound before they are tested: GCC 12 mis-compiles co_await inside a condition.)
    bool header_complete = co_await fill(frame_header_size);
    if (!header_complete) co_return std::nullopt;
    std::uint64_t size = frame_length(std::string_view(buffer_).substr(position_, frame_header_size));
    if (size > max_frame_size) {
        throw worker_error(settings_, "sent a frame of " + std::to_string(size) + " bytes (corrupt output)", {});
    }
    bool frame_complete = co_await fill(frame_header_size + size);
    if (!frame_complete) co_return std::nullopt;
    position_ += frame_header_size;
    co_return take(size);
}

boost::asio::awaitable<PythonWorkerError> WorkerStream::ended(std::string problem) {
    WorkerExit exit = co_await wait_exit_();
    co_return worker_error(settings_, problem, exit);
}

boost::asio::awaitable<PythonInfo> WorkerStream::read_handshake() {
    // 1. The bootstrap's version line, written before anything else, by any Python.
    std::size_t newline = std::string::npos;
    while (true) {
        newline = buffer_.find('\n', position_);
        if (newline != std::string::npos || buffer_.size() - position_ >= max_version_line) break;
        bool more = co_await fill(buffer_.size() - position_ + 1);
        if (!more) break;
    }
    if (newline == std::string::npos) {
        if (buffer_.size() == position_) {
            WorkerExit exit = co_await wait_exit_();
            throw worker_error(settings_, missing_interpreter_problem(exit.status), exit);
        }
        throw worker_error(settings_, "is not a Python interpreter (it wrote '" + printable(buffer_) + "')", {});
    }
    std::string line = take(newline - position_ + 1);
    line.pop_back();
    if (!line.starts_with(version_line_prefix)) {
        throw worker_error(settings_, "is not a Python interpreter (it wrote '" + printable(line) + "')", {});
    }
    std::string version = line.substr(version_line_prefix.size());
    if (major_minor(version) < std::pair{min_python_major, min_python_minor}) {
        throw worker_error(settings_,
                           "is Python " + version + "; hpcexec's Python runner needs Python " +
                               std::to_string(min_python_major) + "." + std::to_string(min_python_minor) + " or later",
                           {});
    }

    // 2. The worker's hello.
    auto hello = co_await read_frame();
    if (!hello) {
        PythonWorkerError error = co_await ended("(Python " + version + ") exited while starting hpcexec's worker");
        throw error;
    }
    PythonInfo info;
    try {
        info = read_hello(settings_.serializer->deserialize(*hello));
    } catch (const SerializationError& error) {
        throw worker_error(settings_, "sent a start-up message that could not be read: " + std::string(error.what()),
                           {});
    }
    if (settings_.required_protocol > info.highest_protocol) {
        throw worker_error(settings_,
                           "is Python " + info.version + " (" + info.executable +
                               "), which reads pickle protocols up to " + std::to_string(info.highest_protocol) +
                               ", but the serializer writes protocol " + std::to_string(settings_.required_protocol) +
                               ": set python.serializer.pickle.protocol to " + std::to_string(info.highest_protocol) +
                               " or lower",
                           {});
    }
    co_return info;
}

boost::asio::awaitable<bool> WorkerStream::read_accepted() {
    auto accepted = co_await read_frame();
    if (!accepted) co_return false;
    if (!accepted->empty()) {
        throw worker_error(settings_, "sent an unexpected frame instead of accepting a call (corrupt output)", {});
    }
    co_return true;
}

boost::asio::awaitable<std::string> WorkerStream::read_response() {
    auto response = co_await read_frame();
    if (!response) {
        PythonWorkerError error = co_await ended("died during the call");
        throw error;
    }
    co_return std::move(*response);
}

}  // namespace hpcexec::python
