// ChildProcess with posix_spawn and two pipes.
#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace checkpoint_test {
namespace {

[[noreturn]] void fail(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    // O_CLOEXEC: the child keeps only the ends dup2'ed onto its stdin and stdout, so that closing ours gives it EOF.
    int to_child[2];
    int from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0) fail(errno, "pipe");
    if (::pipe2(from_child, O_CLOEXEC) != 0) fail(errno, "pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int error = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(to_child[0]);
    ::close(from_child[1]);
    stdin_ = to_child[1];
    stdout_ = from_child[0];
    if (error != 0) {
        close_fd(stdin_);
        close_fd(stdout_);
        pid_ = -1;
        fail(error, "cannot start " + argv[0]);
    }
}

ChildProcess::~ChildProcess() {
    close_fd(stdin_);
    close_fd(stdout_);
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        try {
            wait();
        } catch (const std::system_error&) {
            // Already reaped or never ours: nothing is left to clean up.
        }
    }
}

void ChildProcess::write_line(const std::string& line) {
    const std::string text = line + "\n";
    if (::write(stdin_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) fail(errno, "write to child");
}

void ChildProcess::close_stdin() { close_fd(stdin_); }

bool ChildProcess::fill() {
    char chunk[4096];
    while (true) {
        const ssize_t count = ::read(stdout_, chunk, sizeof chunk);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) return false;
        buffer_.append(chunk, static_cast<std::size_t>(count));
        return true;
    }
}

std::string ChildProcess::read_line() {
    std::size_t newline;
    while ((newline = buffer_.find('\n')) == std::string::npos) {
        if (!fill()) return std::exchange(buffer_, {});
    }
    std::string line = buffer_.substr(0, newline);
    buffer_.erase(0, newline + 1);
    return line;
}

std::string ChildProcess::read_all() {
    while (fill()) {
    }
    return std::exchange(buffer_, {});
}

int ChildProcess::wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) fail(errno, "waitpid");
    }
    pid_ = -1;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace checkpoint_test
