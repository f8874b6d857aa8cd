// Runs the built `hpcexec` binary as a user would: its own process, a controlled environment, standard input given,
// standard output and error captured separately (standard output optionally on a pseudo-terminal).
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace hpcexec::test {

struct CliResult {
    int exit_code = -1;  // 128+N when killed by signal N
    std::string out;
    std::string err;
};

struct CliRun {
    std::vector<std::string> args;
    /// The whole environment of the process (nothing is inherited).
    std::map<std::string, std::string> env;
    std::string stdin_data;
    /// Working directory; empty = the test's.
    std::string cwd;
    /// Standard output on a pseudo-terminal (isatty(1) is true), as when a user watches.
    bool stdout_is_terminal = false;
    /// The process is killed after this long (a hanging command fails the test instead of the whole run).
    std::chrono::seconds limit{240};
};

namespace detail {

inline void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Opens a pseudo-terminal; returns {master, slave} or {-1, -1}.
inline std::pair<int, int> open_terminal() {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) return {-1, -1};
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    return {master, slave};
}

}  // namespace detail

/// Runs HPCEXEC_CLI (the path of the built binary) with `run.args`. Fails the test when it cannot be started or
/// has to be killed for exceeding `run.limit`.
inline CliResult run_cli(const CliRun& run) {
    CliResult result;
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
        ADD_FAILURE() << "pipe: " << std::strerror(errno);
        return result;
    }
    int terminal_master = -1, terminal_slave = -1;
    if (run.stdout_is_terminal) {
        std::tie(terminal_master, terminal_slave) = detail::open_terminal();
        if (terminal_master < 0 || terminal_slave < 0) {
            ADD_FAILURE() << "cannot open a pseudo-terminal: " << std::strerror(errno);
            return result;
        }
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, run.stdout_is_terminal ? terminal_slave : out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    if (!run.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, run.cwd.c_str());

    std::vector<std::string> argv_strings{HPCEXEC_CLI};
    argv_strings.insert(argv_strings.end(), run.args.begin(), run.args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (const auto& [name, value] : run.env) env_strings.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_strings) envp.push_back(entry.data());
    envp.push_back(nullptr);

    pid_t pid = -1;
    int spawned = posix_spawn(&pid, HPCEXEC_CLI, &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (terminal_slave >= 0) close(terminal_slave);
    if (spawned != 0) {
        ADD_FAILURE() << "posix_spawn " << HPCEXEC_CLI << ": " << std::strerror(spawned);
        return result;
    }

    // Feed stdin and drain both outputs at once, so that neither side can block the other.
    int stdout_fd = run.stdout_is_terminal ? terminal_master : out[0];
    if (run.stdout_is_terminal) close(out[0]);
    int stdin_fd = in[1];
    std::size_t written = 0;
    if (run.stdin_data.empty()) {
        close(stdin_fd);
        stdin_fd = -1;
    } else {
        detail::set_nonblocking(stdin_fd);
    }
    signal(SIGPIPE, SIG_IGN);  // the command may exit without reading its input
    const auto deadline = std::chrono::steady_clock::now() + run.limit;
    bool killed = false;
    while (stdout_fd >= 0 || err[0] >= 0) {
        pollfd fds[3] = {{stdout_fd, POLLIN, 0}, {err[0], POLLIN, 0}, {stdin_fd, POLLOUT, 0}};
        poll(fds, 3, 200);
        if (!killed && std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            killed = true;
        }
        char buffer[65536];
        std::pair<int*, std::string*> outputs[] = {{&stdout_fd, &result.out}, {&err[0], &result.err}};
        for (std::size_t i = 0; i < 2; ++i) {
            if (*outputs[i].first < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = read(*outputs[i].first, buffer, sizeof buffer);
            if (n > 0) {
                outputs[i].second->append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {  // end of file; EIO from a terminal whose other side closed
                close(*outputs[i].first);
                *outputs[i].first = -1;
            }
        }
        if (stdin_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(stdin_fd, run.stdin_data.data() + written, run.stdin_data.size() - written);
            if (n > 0) written += static_cast<std::size_t>(n);
            if (n < 0 && errno != EAGAIN && errno != EINTR) written = run.stdin_data.size();
            if (written == run.stdin_data.size()) {
                close(stdin_fd);
                stdin_fd = -1;
            }
        }
    }
    if (stdin_fd >= 0) close(stdin_fd);
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (killed) ADD_FAILURE() << "hpcexec did not finish within " << run.limit.count() << " s and was killed";
    return result;
}

/// "exit code 3\n--- stdout ---\n...\n--- stderr ---\n..." for assertion messages.
inline std::string describe(const CliResult& result) {
    return "exit code " + std::to_string(result.exit_code) + "\n--- stdout ---\n" + result.out + "\n--- stderr ---\n" +
           result.err;
}

}  // namespace hpcexec::test
