#include "python/per_call_worker.hpp"

#include "python/worker_protocol.hpp"

namespace hpcexec::python {
namespace {

// The complete result of a worker process that has ended; its output is handed to a WorkerStream in one piece.
struct FinishedWorker {
    CommandResult result;
    bool handed_over = false;
};

// Runs a worker with `requests` (frames) after its source on stdin.
boost::asio::awaitable<CommandResult> run_worker(Connector& connector, const WorkerSettings& settings,
                                                 std::string requests) {
    CommandSpec spec = worker_command(settings.launch);
    spec.stdin_data += requests;
    co_return co_await connector.run(std::move(spec));
}

// A WorkerStream over the complete output of a finished process.
WorkerStream stream_of(std::shared_ptr<FinishedWorker> finished, const WorkerSettings& settings) {
    return WorkerStream(
        [finished]() -> boost::asio::awaitable<std::string> {
            if (finished->handed_over) co_return std::string();
            finished->handed_over = true;
            co_return std::move(finished->result.stdout_data);
        },
        [finished]() -> boost::asio::awaitable<WorkerExit> {
            co_return WorkerExit{finished->result.exit_status, finished->result.stderr_data};
        },
        settings);
}

}  // namespace

boost::asio::awaitable<std::string> call_in_new_process(Connector& connector, const WorkerSettings& settings,
                                                        std::string request) {
    auto finished = std::make_shared<FinishedWorker>();
    finished->result = co_await run_worker(connector, settings, frame(request));
    WorkerStream stream = stream_of(finished, settings);
    co_await stream.read_handshake();
    // (The awaited value is bound first: GCC 12 mis-compiles co_await inside a condition.)
    bool accepted = co_await stream.read_accepted();
    if (!accepted) {
        PythonWorkerError error = co_await stream.ended("ended before it read the call");
        throw error;
    }
    co_return co_await stream.read_response();
}

boost::asio::awaitable<PythonInfo> check_in_new_process(Connector& connector, const WorkerSettings& settings) {
    auto finished = std::make_shared<FinishedWorker>();
    finished->result = co_await run_worker(connector, settings, "");
    WorkerStream stream = stream_of(finished, settings);
    co_return co_await stream.read_handshake();
}

}  // namespace hpcexec::python
