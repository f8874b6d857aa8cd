#include "local_tar.hpp"

#include <hpcexec/errors.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" char** environ;

namespace hpcexec::ssh {
namespace asio = boost::asio;

namespace {

std::string errno_text(int error) { return std::generic_category().message(error); }

// Writing to a pipe whose reader has exited raises SIGPIPE, which would kill the whole host process. Block it on
// the event loop thread only (the write then fails with EPIPE); the child gets a clean signal mask back.
void block_sigpipe_on_this_thread() {
    thread_local bool blocked = false;
    if (blocked) return;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    blocked = true;
}

void discard_pending_sigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    const timespec no_wait{};
    while (sigtimedwait(&set, nullptr, &no_wait) == SIGPIPE) {
    }
}

}  // namespace

LocalTar::LocalTar(const asio::any_io_executor& executor, Mode mode, const std::string& directory,
                   const std::string& operation)
    : executor_(executor), operation_(operation), directory_(directory), output_(executor), input_(executor) {
    block_sigpipe_on_this_thread();
    int data[2];  // the archive stream: [0] read end, [1] write end
    if (::pipe2(data, O_CLOEXEC) != 0) throw FileError(operation, directory, "cannot create a pipe: " + errno_text(errno));
    stderr_file_ = ::memfd_create("hpcexec-tar-stderr", MFD_CLOEXEC);
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (mode == Mode::create) {
        posix_spawn_file_actions_adddup2(&actions, null_fd, 0);
        posix_spawn_file_actions_adddup2(&actions, data[1], 1);
    } else {
        posix_spawn_file_actions_adddup2(&actions, data[0], 0);
        posix_spawn_file_actions_adddup2(&actions, null_fd, 1);
    }
    posix_spawn_file_actions_adddup2(&actions, stderr_file_ >= 0 ? stderr_file_ : null_fd, 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> args = mode == Mode::create
                                        ? std::vector<std::string>{"tar", "-C", directory, "-cf", "-", "."}
                                        : std::vector<std::string>{"tar", "-C", directory, "-xof", "-"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, "tar", &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (null_fd >= 0) ::close(null_fd);
    if (rc != 0) {
        ::close(data[0]);
        ::close(data[1]);
        pid_ = -1;
        throw FileError(operation, directory, "cannot start the local tar: " + errno_text(rc));
    }
    // Keep our end only; the child's end closes here, so the stream ends when tar ends.
    if (mode == Mode::create) {
        ::close(data[1]);
        output_.assign(data[0]);
    } else {
        ::close(data[0]);
        input_.assign(data[1]);
    }
}

LocalTar::~LocalTar() {
    boost::system::error_code ignored;
    output_.close(ignored);
    input_.close(ignored);
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    if (stderr_file_ >= 0) ::close(stderr_file_);
}

asio::awaitable<std::size_t> LocalTar::read_some(char* buffer, std::size_t size) {
    auto [ec, n] = co_await output_.async_read_some(asio::buffer(buffer, size), asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::eof) co_return 0;
    if (ec) throw FileError(operation_, directory_, "reading from the local tar: " + ec.message());
    co_return n;
}

asio::awaitable<void> LocalTar::write_all(std::string_view data) {
    if (!input_.is_open()) co_return;
    auto [ec, n] = co_await asio::async_write(input_, asio::buffer(data.data(), data.size()),
                                              asio::as_tuple(asio::use_awaitable));
    if (ec) {
        // tar stopped reading (it failed): drop the rest; finish() reports its error.
        if (ec == asio::error::broken_pipe) discard_pending_sigpipe();
        boost::system::error_code ignored;
        input_.close(ignored);
    }
}

void LocalTar::close_input() {
    boost::system::error_code ignored;
    input_.close(ignored);
}

asio::awaitable<void> LocalTar::finish() {
    close_input();
    asio::steady_timer poll(executor_);
    int status = 0;
    for (;;) {
        pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_ || (done < 0 && errno != EINTR)) break;
        poll.expires_after(std::chrono::milliseconds(2));
        co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    pid_ = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) co_return;
    std::string message;
    if (stderr_file_ >= 0) {
        char buffer[4096];
        ssize_t n = ::pread(stderr_file_, buffer, sizeof buffer, 0);
        if (n > 0) message.assign(buffer, static_cast<std::size_t>(n));
    }
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                          : "exit status " + std::to_string(WEXITSTATUS(status));
    throw FileError(operation_, directory_, "the local tar failed (" + how + ")" + (message.empty() ? "" : ": " + message));
}

}  // namespace hpcexec::ssh
