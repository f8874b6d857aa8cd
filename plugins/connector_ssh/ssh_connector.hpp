// SshConnector: the `ssh` connector component, the face of this plugin towards the kernel.
#pragma once

#include "endpoint.hpp"

#include <hpcexec/connector.hpp>
#include <hpcexec/plugin.hpp>

#include <memory>
#include <optional>
#include <string>

namespace hpcexec::ssh {

/// Runs commands and moves files on a remote host over SSH.
///
/// Thin: it resolves its configuration into hops, takes the shared Endpoint for them from the SessionPool, and
/// maps each Connector operation onto the pieces that do the work (command_runner and its command_server,
/// ssh_process, sftp_transfer, tar_transfer).
/// Creating it never connects; the first operation does.
/// FILES: single files over SFTP (write_file and single-file uploads go to a temporary name in the same directory
/// and are renamed over the target, so the file appears complete or not at all); directory trees as one tar stream;
/// mkdir/remove/glob as small POSIX shell commands on the target (no Python needed there). File operations are
/// retried once on a new connection when the link broke under them (each may safely be repeated).
/// LIFETIME: the destructor gives the Endpoint back to the pool, which tears the session down when this was its
/// last user and waits for that, as Component requires.
class SshConnector final : public Connector {
public:
    /// Throws ConfigError (with the key path) for a bad configuration.
    explicit SshConnector(const ComponentContext& context);
    ~SshConnector() override;

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
    std::shared_ptr<Endpoint> endpoint_;
    std::string target_;
    // run() goes through the endpoint's command server started with this Python; none: `command_server: off`.
    std::optional<std::string> command_server_python_;
};

}  // namespace hpcexec::ssh
