// One persistent Python worker on the target (Connector::start): started with the bootstrap, serving one call at a
// time over its standard streams until it is destroyed (which kills it).
#pragma once

#include "python/worker_stream.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace hpcexec::python {

/// The connector cannot keep a process open (Connector::start is not implemented): use a process per call.
class StartUnsupported : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The worker ended before it accepted a request: the call never ran there and may be sent to another worker.
/// `error` says why the worker ended.
class LostBeforeCall : public std::runtime_error {
public:
    explicit LostBeforeCall(PythonWorkerError error) : std::runtime_error(error.what()), error_(std::move(error)) {}
    const PythonWorkerError& error() const noexcept { return error_; }

private:
    PythonWorkerError error_;
};

/// OWNERSHIP: owned by a WorkerPool (or a call that borrowed it); must be destroyed on the kernel's loop before the
/// connector. THREAD: the kernel's loop; one call at a time.
class WorkerProcess {
public:
    /// Starts a worker and waits for its hello (at most settings.start_timeout, then it is killed).
    /// Throws StartUnsupported, PythonWorkerError (python_cmd missing, not Python, too old...), ConnectionError.
    static boost::asio::awaitable<std::unique_ptr<WorkerProcess>> start(Connector& connector,
                                                                        const WorkerSettings& settings,
                                                                        std::uint64_t generation);
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    /// Sends one request and returns the response payload. Throws LostBeforeCall when the worker is gone before
    /// accepting it, PythonWorkerError when it died during the call, ConnectionLost when the link broke during it.
    boost::asio::awaitable<std::string> call(std::string request);

    const PythonInfo& info() const noexcept { return info_; }
    /// The pool generation the worker was started in (older ones are replaced after their call).
    std::uint64_t generation() const noexcept { return generation_; }
    /// How many calls it has answered.
    std::uint64_t calls_served() const noexcept { return calls_served_; }

private:
    WorkerProcess(std::unique_ptr<RemoteProcess> process, const WorkerSettings& settings, std::uint64_t generation);
    boost::asio::awaitable<WorkerExit> wait_exit();

    std::unique_ptr<RemoteProcess> process_;
    WorkerStream stream_;
    PythonInfo info_;
    std::uint64_t generation_;
    std::uint64_t calls_served_ = 0;
};

}  // namespace hpcexec::python
