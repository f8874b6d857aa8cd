#include "python/worker_process.hpp"

#include "python/worker_protocol.hpp"

#include <hpcexec/errors.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <cstdio>
#include <optional>

namespace hpcexec::python {
namespace {

std::string seconds_text(std::chrono::milliseconds duration) {
    char text[32];
    std::snprintf(text, sizeof text, "%g s", static_cast<double>(duration.count()) / 1000.0);
    return text;
}

}  // namespace

WorkerProcess::WorkerProcess(std::unique_ptr<RemoteProcess> process, const WorkerSettings& settings,
                             std::uint64_t generation)
    : process_(std::move(process)),
      stream_([this] { return process_->read_some(); }, [this] { return wait_exit(); }, settings),
      generation_(generation) {}

WorkerProcess::~WorkerProcess() = default;  // destroying the RemoteProcess kills the worker

boost::asio::awaitable<WorkerExit> WorkerProcess::wait_exit() {
    int status = -1;
    try {
        status = co_await process_->wait();
    } catch (const Error&) {
        // The link broke: the exit status is unknown; the standard error received so far still explains.
    }
    co_return WorkerExit{status, process_->stderr_text()};
}

boost::asio::awaitable<std::unique_ptr<WorkerProcess>> WorkerProcess::start(Connector& connector,
                                                                            const WorkerSettings& settings,
                                                                            std::uint64_t generation) {
    std::unique_ptr<RemoteProcess> process;
    try {
        // The command's stdin_data (the worker source) is written by start() itself.
        CommandSpec command = worker_command(settings.launch);
        process = co_await connector.start(std::move(command));
    } catch (const ConnectionError&) {
        throw;
    } catch (const Error& error) {
        // Connector::start's default: this connector cannot keep a process open.
        throw StartUnsupported(error.what());
    }
    std::unique_ptr<WorkerProcess> worker(new WorkerProcess(std::move(process), settings, generation));

    // A python_cmd that never answers (a wrapper waiting for a licence, a hung file system) is killed at the
    // deadline; its stream then ends and the handshake reports that.
    struct DeadlineState {
        bool settled = false;  // the handshake is over (either way): the deadline must not touch the process
        bool expired = false;
    };
    auto state = std::make_shared<DeadlineState>();
    auto executor = co_await boost::asio::this_coro::executor;
    boost::asio::steady_timer deadline(executor, settings.start_timeout);
    deadline.async_wait([state, raw = worker->process_.get()](boost::system::error_code error) {
        if (error || state->settled) return;
        state->expired = true;
        raw->kill();
    });
    std::optional<PythonWorkerError> failure;
    try {
        worker->info_ = co_await worker->stream_.read_handshake();
    } catch (const PythonWorkerError& error) {
        failure = error;
    } catch (...) {
        state->settled = true;
        throw;
    }
    state->settled = true;
    deadline.cancel();
    if (failure && state->expired) {
        throw PythonWorkerError("python_cmd '" + settings.launch.python_cmd + "' on " + settings.target +
                                    " did not start hpcexec's worker within " + seconds_text(settings.start_timeout) +
                                    " (python.start_timeout)",
                                failure->python_cmd(), failure->target(), failure->exit_status(),
                                failure->stderr_text());
    }
    if (failure) throw *failure;
    co_return worker;
}

boost::asio::awaitable<std::string> WorkerProcess::call(std::string request) {
    bool sent = true;
    try {
        co_await process_->write(frame(request));
    } catch (const Error&) {
        sent = false;  // the worker's stdin is gone: it has ended (or the link broke before the call left)
    }
    bool accepted = false;
    if (sent) {
        try {
            accepted = co_await stream_.read_accepted();
        } catch (const ConnectionLost&) {
            accepted = false;
        }
    }
    if (!accepted) {
        process_->kill();
        PythonWorkerError error = co_await stream_.ended("ended before it received the call");
        throw LostBeforeCall(std::move(error));
    }
    std::string response = co_await stream_.read_response();
    ++calls_served_;
    co_return response;
}

}  // namespace hpcexec::python
