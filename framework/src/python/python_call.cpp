// The small value types of the Python API: PythonFunction, PythonCall, and the two error types.
#include <hpcexec/executor.hpp>
#include <hpcexec/python.hpp>

namespace hpcexec {

// ---- PythonFunction ------------------------------------------------------------------------------------------------

PythonFunction PythonFunction::ref(std::string reference) {
    auto colon = reference.find(':');
    bool valid = colon != std::string::npos && colon > 0 && colon + 1 < reference.size() &&
                 reference.find(':', colon + 1) == std::string::npos &&
                 reference.find_first_of(" \t\r\n") == std::string::npos;
    if (!valid) {
        throw Error("PythonFunction::ref: '" + reference +
                    "' is not a reference of the form 'package.module:qualname' (e.g. 'operator:add')");
    }
    PythonFunction function;
    function.reference_ = std::move(reference);
    return function;
}

PythonFunction PythonFunction::source(std::string source_text, std::string name) {
    if (name.empty()) throw Error("PythonFunction::source: the function's name is empty");
    if (source_text.empty()) throw Error("PythonFunction::source: the source text of '" + name + "' is empty");
    PythonFunction function;
    function.source_ = std::move(source_text);
    function.name_ = std::move(name);
    return function;
}

std::string PythonFunction::display_name() const {
    return is_ref() ? reference_ : name_ + " (from source)";
}

// ---- PythonCall ----------------------------------------------------------------------------------------------------

PythonCall::PythonCall(std::shared_ptr<HpcExecutor> executor, PythonFunction function, PythonCallOptions options)
    : executor_(std::move(executor)), function_(std::move(function)), options_(std::move(options)) {}

boost::asio::awaitable<PythonResult> PythonCall::call_with_output_async(List args, Kwargs kwargs) const {
    co_return co_await executor_->python().call_async(function_, std::move(args), std::move(kwargs), options_);
}

boost::asio::awaitable<Value> PythonCall::call_async(List args, Kwargs kwargs) const {
    PythonResult result = co_await call_with_output_async(std::move(args), std::move(kwargs));
    co_return std::move(result.value);
}

PythonResult PythonCall::call_with_output(List args, Kwargs kwargs) const {
    return executor_->kernel()->loop().sync_wait(call_with_output_async(std::move(args), std::move(kwargs)));
}

Value PythonCall::call(List args, Kwargs kwargs) const {
    return call_with_output(std::move(args), std::move(kwargs)).value;
}

// ---- Errors --------------------------------------------------------------------------------------------------------

namespace {

std::string python_error_message(PythonError::Stage stage, const std::string& function, const std::string& target,
                                 const std::string& type, const std::string& message, const std::string& traceback) {
    std::string exception = message.empty() ? type : type + ": " + message;
    std::string head;
    switch (stage) {
        case PythonError::Stage::request:
            head = "the Python worker on " + target + " could not read the call of " + function + ": " + exception;
            break;
        case PythonError::Stage::function:
            head = "Python function " + function + " could not be loaded on " + target + ": " + exception;
            break;
        case PythonError::Stage::call:
            head = "Python function " + function + " on " + target + " raised " + exception;
            break;
        case PythonError::Stage::result:
            head =
                "the result of Python function " + function + " on " + target + " could not be sent back: " + exception;
            break;
    }
    return traceback.empty() ? head : head + "\n" + traceback;
}

}  // namespace

PythonError::PythonError(Stage stage, std::string function, std::string target, std::string exception_type,
                         std::string message, std::string traceback, std::string output)
    : Error(python_error_message(stage, function, target, exception_type, message, traceback)),
      stage_(stage),
      function_(std::move(function)),
      target_(std::move(target)),
      type_(std::move(exception_type)),
      message_(std::move(message)),
      traceback_(std::move(traceback)),
      output_(std::move(output)) {}
PythonError::~PythonError() = default;

PythonWorkerError::PythonWorkerError(std::string message, std::string python_cmd, std::string target, int exit_status,
                                     std::string stderr_text)
    : Error(message),
      python_cmd_(std::move(python_cmd)),
      target_(std::move(target)),
      exit_status_(exit_status),
      stderr_(std::move(stderr_text)) {}
PythonWorkerError::~PythonWorkerError() = default;

}  // namespace hpcexec
