// Reading what a worker writes on its standard output, in order: the bootstrap's version line, the hello, then per
// call an "accepted" frame and a response frame. An early end of the stream becomes an error that says what
// python_cmd is (missing, not Python, too old) or how the worker died, with its exit status and standard error.
//
// The same reader serves a persistent worker (bytes arriving from RemoteProcess::read_some) and a process per call
// (the complete standard output of Connector::run, handed over at once).
#pragma once

#include "python/bootstrap.hpp"

#include <hpcexec/python.hpp>
#include <hpcexec/serializer.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace hpcexec::python {

/// Everything needed to start workers of one python_cmd and to understand them.
struct WorkerSettings {
    WorkerLaunch launch;
    /// The connector's target, for messages ("local", "user@host:port").
    std::string target;
    std::shared_ptr<const Serializer> serializer;
    /// The pickle protocol the serializer writes (0: not pickle): the worker's Python must read it.
    int required_protocol = 0;
    /// How long a persistent worker may take to answer its start.
    std::chrono::milliseconds start_timeout{60000};
};

/// How a worker process ended.
struct WorkerExit {
    /// The exit status, 128+N for signal N, -1 when unknown.
    int status = -1;
    std::string stderr_text;
};

/// Builds the PythonWorkerError "python_cmd 'X' on TARGET <problem> (exit status N): <end of stderr>".
PythonWorkerError worker_error(const WorkerSettings& settings, const std::string& problem, const WorkerExit& exit);

/// OWNERSHIP: the callbacks must stay valid while the reader is used; the settings are copied. THREAD: the kernel's
/// loop, one read at a time.
class WorkerStream {
public:
    /// Returns the next bytes (at least one), or "" at the end of the stream.
    using ReadSome = std::function<boost::asio::awaitable<std::string>()>;
    /// Waits for the worker to end; called only after its stream ended, to explain why.
    using WaitExit = std::function<boost::asio::awaitable<WorkerExit>()>;

    WorkerStream(ReadSome read_some, WaitExit wait_exit, const WorkerSettings& settings);

    /// Reads the version line and the hello and checks them: throws PythonWorkerError when python_cmd is missing,
    /// is not Python, is older than 3.8 or cannot read the required pickle protocol, or the worker died.
    boost::asio::awaitable<PythonInfo> read_handshake();
    /// Reads the frame with which the worker accepts a request; false when the stream ended first (the worker
    /// never ran the call).
    boost::asio::awaitable<bool> read_accepted();
    /// Reads a response frame; throws PythonWorkerError (with the worker's exit status and stderr) when the
    /// stream ends first: the worker died during the call.
    boost::asio::awaitable<std::string> read_response();

    /// Why the stream ended, as an error saying `problem` (waits for the worker's exit).
    boost::asio::awaitable<PythonWorkerError> ended(std::string problem);

private:
    /// Makes sure `size` unread bytes are buffered; false at the end of the stream.
    boost::asio::awaitable<bool> fill(std::size_t size);
    /// Reads one frame's payload; nullopt when the stream ends before it is complete.
    boost::asio::awaitable<std::optional<std::string>> read_frame();
    std::string take(std::size_t size);

    ReadSome read_some_;
    WaitExit wait_exit_;
    WorkerSettings settings_;
    std::string buffer_;
    std::size_t position_ = 0;
};

}  // namespace hpcexec::python
