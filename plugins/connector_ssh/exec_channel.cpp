#include "exec_channel.hpp"

#include "ssh_support.hpp"

#include <hpcexec/errors.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <array>
#include <csignal>
#include <cstdlib>
#include <vector>

namespace hpcexec::ssh {
namespace asio = boost::asio;

namespace {
constexpr std::size_t read_chunk = 64 * 1024;
}

int signal_number(std::string_view name) {
    if (name.substr(0, 3) == "SIG") name.remove_prefix(3);
    static constexpr std::array<std::pair<std::string_view, int>, 15> known{{
        {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"ABRT", SIGABRT},
        {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"SEGV", SIGSEGV}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"BUS", SIGBUS}, {"XCPU", SIGXCPU},
    }};
    for (const auto& [n, number] : known) {
        if (n == name) return number;
    }
    return 0;
}

asio::awaitable<std::unique_ptr<ExecChannel>> ExecChannel::start(std::shared_ptr<SshSession> session,
                                                                  const std::string& command_line) {
    LIBSSH2_SESSION* raw = session->raw();
    int error = 0;
    LIBSSH2_CHANNEL* channel = co_await session->call_for_pointer<LIBSSH2_CHANNEL>(
        [&] { return libssh2_channel_open_session(raw); }, error);
    if (channel == nullptr) {
        throw ConnectionError("cannot open a channel on " + session->label() + ": " + last_error_text(raw, error) +
                              " (too many channels for the server's MaxSessions? lower max_channels)");
    }
    std::unique_ptr<ExecChannel> result(new ExecChannel(session, channel));
    long rc = co_await session->call([&] {
        return static_cast<long>(libssh2_channel_process_startup(channel, "exec", 4, command_line.data(),
                                                                 static_cast<unsigned>(command_line.size())));
    });
    if (rc != 0) {
        throw ConnectionError("the server " + session->label() + " refused to run a command: " +
                              last_error_text(raw, static_cast<int>(rc)));
    }
    co_return result;
}

ExecChannel::ExecChannel(std::shared_ptr<SshSession> session, LIBSSH2_CHANNEL* channel)
    : session_(std::move(session)), channel_(channel) {}

ExecChannel::~ExecChannel() {
    if (session_->failed()) {
        // The socket is shut: libssh2 frees without waiting for anything.
        libssh2_channel_free(channel_);
        return;
    }
    // Closing waits for the server's answer: do it on the loop, holding the session until done.
    auto session = session_;
    LIBSSH2_CHANNEL* channel = channel_;
    asio::co_spawn(session->executor(), [session, channel]() -> asio::awaitable<void> {
        try {
            co_await session->call([channel] { return static_cast<long>(libssh2_channel_free(channel)); });
        } catch (const std::exception&) {
            // The session failed meanwhile; libssh2_session_free releases the channel with it.
        }
    }, asio::detached);
}

asio::awaitable<bool> ExecChannel::write_all(std::string_view data) {
    while (!data.empty()) {
        long rc = co_await session_->call(
            [&] { return static_cast<long>(libssh2_channel_write(channel_, data.data(), data.size())); });
        if (rc < 0) co_return false;  // the rest cannot be written: see the header
        data.remove_prefix(static_cast<std::size_t>(rc));
    }
    co_return true;
}

asio::awaitable<void> ExecChannel::send_eof() {
    co_await session_->call([&] { return static_cast<long>(libssh2_channel_send_eof(channel_)); });
}

asio::awaitable<void> ExecChannel::close() {
    co_await session_->call([&] { return static_cast<long>(libssh2_channel_close(channel_)); });
}

asio::awaitable<std::size_t> ExecChannel::read(int stream, char* buffer, std::size_t size) {
    long rc = co_await session_->call(
        [&] { return static_cast<long>(libssh2_channel_read_ex(channel_, stream, buffer, size)); });
    if (rc < 0) {
        throw ConnectionLost("reading the output of a command on " + session_->label() + " failed: " +
                             last_error_text(session_->raw(), static_cast<int>(rc)));
    }
    co_return static_cast<std::size_t>(rc);
}

asio::awaitable<void> ExecChannel::read_to_end(int stream, const std::function<void(std::string_view)>& sink) {
    std::vector<char> buffer(read_chunk);
    for (;;) {
        std::size_t n = co_await read(stream, buffer.data(), buffer.size());
        if (n == 0) co_return;
        sink(std::string_view(buffer.data(), n));
    }
}

asio::awaitable<void> ExecChannel::read_all(int stream, std::string& out) {
    const std::function<void(std::string_view)> append = [&out](std::string_view chunk) { out.append(chunk); };
    co_await read_to_end(stream, append);
}

asio::awaitable<int> ExecChannel::wait_exit() {
    co_await session_->call([&] { return static_cast<long>(libssh2_channel_wait_closed(channel_)); });
    char* signal_name = nullptr;
    std::size_t signal_length = 0;
    libssh2_channel_get_exit_signal(channel_, &signal_name, &signal_length, nullptr, nullptr, nullptr, nullptr);
    if (signal_name != nullptr) {
        std::string name(signal_name, signal_length);
        // libssh2 allocated the name with the session's allocator (malloc by default).
        std::free(signal_name);
        int number = signal_number(name);
        co_return 128 + (number != 0 ? number : SIGKILL);
    }
    co_return libssh2_channel_get_exit_status(channel_);
}

}  // namespace hpcexec::ssh
