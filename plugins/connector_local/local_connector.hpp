// The `local` connector: runs commands and moves files on this machine.
#pragma once

#include "command_slots.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <spdlog/logger.h>

#include <cstddef>
#include <memory>
#include <string>

namespace hpcexec::local {

/// What the `connector.local` configuration section says.
struct LocalConnectorOptions {
    /// The shell that runs a command given as a string: `<shell> -c <line>`.
    std::string shell = "/bin/sh";
    /// How many commands may run at once, counting the processes of start() until they are destroyed; more wait for a
    /// free slot (their timeout starts when they start).
    std::size_t max_concurrent_commands = 128;
};

/// Commands are child processes of this process (see run_process() and LocalProcess); file operations are direct
/// system calls (see local_files.hpp). Relative paths are relative to this process's current directory.
///
/// LIFETIME: the caller keeps the connector alive until the operations it awaits have finished (the kernel's
/// shared_ptr does). THREAD: as for every Connector, awaited on the kernel's event loop.
class LocalConnector final : public Connector {
public:
    LocalConnector(boost::asio::any_io_executor executor, std::shared_ptr<spdlog::logger> logger,
                   LocalConnectorOptions options);
    ~LocalConnector() override;

    std::string target() const override;

    boost::asio::awaitable<CommandResult> run(CommandSpec spec) override;

    boost::asio::awaitable<std::string> read_file(std::string path) override;
    boost::asio::awaitable<void> write_file(std::string path, std::string data) override;
    boost::asio::awaitable<void> upload(std::string local_path, std::string remote_path) override;
    boost::asio::awaitable<void> download(std::string remote_path, std::string local_path) override;
    boost::asio::awaitable<void> mkdir(std::string path) override;
    boost::asio::awaitable<std::vector<std::string>> glob(std::string pattern) override;
    boost::asio::awaitable<void> remove(std::string path, bool recursive) override;
    boost::asio::awaitable<std::optional<FileInfo>> stat(std::string path) override;
    boost::asio::awaitable<std::string> home_directory() override;

    boost::asio::awaitable<std::unique_ptr<RemoteProcess>> start(CommandSpec spec) override;

private:
    std::shared_ptr<spdlog::logger> logger_;
    LocalConnectorOptions options_;
    CommandSlots slots_;
};

}  // namespace hpcexec::local
