#include "tar_transfer.hpp"

#include "exec_channel.hpp"
#include "local_tar.hpp"
#include "coroutine_sync.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include <filesystem>
#include <vector>

namespace hpcexec::ssh {
namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr std::size_t chunk = 256 * 1024;

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

}  // namespace

asio::awaitable<void> tar_upload(std::shared_ptr<Endpoint> endpoint, std::string local_dir, std::string remote_dir) {
    const std::string q = shell_quote(remote_dir);
    auto lease = co_await endpoint->channel();
    auto channel = co_await ExecChannel::start(lease.session, "mkdir -p -- " + q + " && tar -C " + q + " -xof -");
    LocalTar tar(co_await asio::this_coro::executor, LocalTar::Mode::create, local_dir, "upload");

    auto pump = [&]() -> asio::awaitable<void> {
        std::vector<char> buffer(chunk);
        for (;;) {
            std::size_t n = co_await tar.read_some(buffer.data(), buffer.size());
            if (n == 0) break;
            co_await channel->write_all(std::string_view(buffer.data(), n));
        }
        co_await channel->send_eof();
    };
    std::string remote_output, remote_errors;
    co_await all_of(pump() && channel->read_all(0, remote_output) &&
                    channel->read_all(SSH_EXTENDED_DATA_STDERR, remote_errors));
    int status = co_await channel->wait_exit();
    co_await tar.finish();
    if (status != 0) {
        throw FileError("upload", remote_dir, "the remote tar failed (exit status " + std::to_string(status) +
                                                  "): " + trimmed(remote_errors));
    }
}

asio::awaitable<void> tar_download(std::shared_ptr<Endpoint> endpoint, std::string remote_dir,
                                   std::string local_dir) {
    std::error_code ec;
    std::filesystem::create_directories(local_dir, ec);
    if (ec) throw FileError("download", local_dir, "cannot create the directory: " + ec.message());
    auto lease = co_await endpoint->channel();
    auto channel = co_await ExecChannel::start(lease.session, "tar -C " + shell_quote(remote_dir) + " -cf - .");
    LocalTar tar(co_await asio::this_coro::executor, LocalTar::Mode::extract, local_dir, "download");

    auto pump = [&]() -> asio::awaitable<void> {
        std::vector<char> buffer(chunk);
        for (;;) {
            std::size_t n = co_await channel->read(0, buffer.data(), buffer.size());
            if (n == 0) break;
            co_await tar.write_all(std::string_view(buffer.data(), n));
        }
        tar.close_input();
    };
    std::string remote_errors;
    co_await all_of(pump() && channel->read_all(SSH_EXTENDED_DATA_STDERR, remote_errors));
    int status = co_await channel->wait_exit();
    if (status != 0) {
        throw FileError("download", remote_dir, "the remote tar failed (exit status " + std::to_string(status) +
                                                    "): " + trimmed(remote_errors));
    }
    co_await tar.finish();
}

}  // namespace hpcexec::ssh
