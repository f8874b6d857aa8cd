// One Python process per call (Connector::run): the bootstrap, the worker source and the request all go in on
// standard input; the version line, hello, acceptance and response come back on standard output. Used when the
// configuration asks for it (`python: {workers: 0}`) and when the connector cannot keep a process open.
#pragma once

#include "python/worker_stream.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

namespace hpcexec::python {

/// Runs one request and returns the response payload. Throws PythonWorkerError as WorkerStream says (python_cmd
/// missing, not Python, too old; the process died), ConnectionError.
boost::asio::awaitable<std::string> call_in_new_process(Connector& connector, const WorkerSettings& settings,
                                                        std::string request);

/// Starts a Python that only says hello, and returns what it reported.
boost::asio::awaitable<PythonInfo> check_in_new_process(Connector& connector, const WorkerSettings& settings);

}  // namespace hpcexec::python
