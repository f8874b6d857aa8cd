#include "local_connector.hpp"

#include "local_files.hpp"
#include "local_process.hpp"
#include "process_runner.hpp"

#include <hpcexec/shell.hpp>

#include <chrono>
#include <utility>
#include <variant>

namespace hpcexec::local {
namespace {

// The command for the log: its text, shortened, with the names (never the values, which may be secrets) of the
// variables it sets. Standard input is never logged either, only its size.
std::string describe_for_log(const CommandSpec& spec) {
    constexpr std::size_t max_length = 300;
    std::string text = std::holds_alternative<std::string>(spec.command)
                           ? std::get<std::string>(spec.command)
                           : shell_join(std::get<std::vector<std::string>>(spec.command));
    if (text.size() > max_length) text = text.substr(0, max_length) + "...";
    if (!spec.cwd.empty()) text += " (in " + shell_quote(spec.cwd) + ")";
    if (!spec.env.empty()) {
        text += " (setting";
        for (const auto& variable : spec.env) text += " " + variable.first;
        text += ")";
    }
    if (!spec.stdin_data.empty()) text += " (" + std::to_string(spec.stdin_data.size()) + " bytes of input)";
    // One log line per message, whatever the command holds.
    std::string escaped;
    for (char c : text) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
    return escaped;
}

}  // namespace

LocalConnector::LocalConnector(boost::asio::any_io_executor executor, std::shared_ptr<spdlog::logger> logger,
                               LocalConnectorOptions options)
    : logger_(std::move(logger)), options_(std::move(options)), slots_(executor, options_.max_concurrent_commands) {}

LocalConnector::~LocalConnector() = default;

std::string LocalConnector::target() const { return "local"; }

boost::asio::awaitable<CommandResult> LocalConnector::run(CommandSpec spec) {
    const std::string description = describe_for_log(spec);
    auto slot = co_await slots_.acquire();
    logger_->debug("run: {}", description);
    const auto started = std::chrono::steady_clock::now();
    CommandResult result = co_await run_process(std::move(spec), options_.shell);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    logger_->debug("finished after {} ms with exit status {}{}: {}", elapsed.count(), result.exit_status,
                   result.timed_out ? " (killed after its timeout)" : "", description);
    co_return result;
}

// Local file operations are quick blocking calls; each coroutine just makes them.

boost::asio::awaitable<std::string> LocalConnector::read_file(std::string path) { co_return local::read_file(path); }

boost::asio::awaitable<void> LocalConnector::write_file(std::string path, std::string data) {
    local::write_file(path, data);
    co_return;
}

boost::asio::awaitable<void> LocalConnector::upload(std::string local_path, std::string remote_path) {
    copy_tree("upload", local_path, remote_path);
    co_return;
}

boost::asio::awaitable<void> LocalConnector::download(std::string remote_path, std::string local_path) {
    copy_tree("download", remote_path, local_path);
    co_return;
}

boost::asio::awaitable<void> LocalConnector::mkdir(std::string path) {
    make_directories(path);
    co_return;
}

boost::asio::awaitable<std::vector<std::string>> LocalConnector::glob(std::string pattern) {
    co_return glob_paths(pattern);
}

boost::asio::awaitable<void> LocalConnector::remove(std::string path, bool recursive) {
    remove_path(path, recursive);
    co_return;
}

boost::asio::awaitable<std::optional<FileInfo>> LocalConnector::stat(std::string path) { co_return file_info(path); }

boost::asio::awaitable<std::string> LocalConnector::home_directory() { co_return local::home_directory(); }

boost::asio::awaitable<std::unique_ptr<RemoteProcess>> LocalConnector::start(CommandSpec spec) {
    const std::string description = describe_for_log(spec);
    auto slot = co_await slots_.acquire();
    logger_->debug("start: {}", description);
    co_return co_await LocalProcess::start(std::move(spec), options_.shell, std::move(slot));
}

}  // namespace hpcexec::local
