// Launching a child process with Boost.Process v2: checking the request, finding the program, setting the child up
// between fork and exec, and describing a start that failed as a shell would.
#include "child_launch.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/process/v2/stdio.hpp>
// Boost.Process v2 is compiled into this plugin (BOOST_PROCESS_V2_SEPARATE_COMPILATION): its sources go here, in
// exactly one file.
#include <boost/process/v2/src.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include <pthread.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern "C" char** environ;

namespace hpcexec::local {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

// What a shell answers when it cannot start a command.
constexpr int exit_status_not_found = 127;
constexpr int exit_status_not_executable = 126;

std::string error_text(int error) { return std::generic_category().message(error); }

// execve takes C strings: a zero byte inside one would silently cut it short.
void require_no_zero_byte(const std::string& text, const char* what) {
    if (text.find('\0') != std::string::npos) {
        throw Error(std::string("cannot run a command whose ") + what + " contains a zero byte: " + shell_quote(text));
    }
}

std::vector<std::string> argv_of(const CommandSpec& spec, const std::string& shell) {
    if (const auto* line = std::get_if<std::string>(&spec.command)) return {shell, "-c", *line};
    const auto& argv = std::get<std::vector<std::string>>(spec.command);
    if (argv.empty()) throw Error("cannot run a command with an empty argv");
    return argv;
}

// This process's environment with `overrides` added or replacing the variables of the same name, as "NAME=value".
std::vector<std::string> child_environment(const std::map<std::string, std::string>& overrides) {
    std::vector<std::string> entries;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        if (!overrides.count(std::string(text.substr(0, text.find('='))))) entries.emplace_back(text);
    }
    for (const auto& [name, value] : overrides) {
        if (name.empty() || name.find('=') != std::string::npos) {
            throw Error("invalid environment variable name: " + shell_quote(name));
        }
        entries.push_back(name + "=" + value);
        require_no_zero_byte(entries.back(), "environment");
    }
    return entries;
}

// The PATH the command will see.
std::string search_path(const std::map<std::string, std::string>& overrides) {
    if (auto it = overrides.find("PATH"); it != overrides.end()) return it->second;
    if (const char* inherited = std::getenv("PATH")) return inherited;
    return "/usr/bin:/bin";  // what execvp uses when there is no PATH
}

// Like execvp: a name containing a slash is used as it is; any other name is looked up in each directory of PATH (an
// empty entry meaning the current directory) for an executable regular file. Relative results are relative to the
// child's working directory `cwd`, where the child will exec them. Nothing when there is no such file.
std::optional<std::string> find_program(const std::string& name, const std::string& path, const std::string& cwd) {
    if (name.find('/') != std::string::npos) return name;
    if (name.empty()) return std::nullopt;
    for (std::size_t begin = 0; begin <= path.size();) {
        std::size_t end = std::min(path.find(':', begin), path.size());
        std::string directory = path.substr(begin, end - begin);
        std::string candidate = (directory.empty() ? "." : directory) + "/" + name;
        std::string seen_from_here = (candidate[0] == '/' || cwd.empty()) ? candidate : cwd + "/" + candidate;
        struct stat info {};
        if (::stat(seen_from_here.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            ::access(seen_from_here.c_str(), X_OK) == 0) {
            return candidate;
        }
        begin = end + 1;
    }
    return std::nullopt;
}

// The result of a command that could not start: a shell's exit status and message.
CommandResult cannot_start(int error, const std::string& message) {
    CommandResult result;
    result.exit_status = error == ENOENT ? exit_status_not_found : exit_status_not_executable;
    result.stderr_data = "hpcexec: " + message + "\n";
    return result;
}

// Why a child cannot work in `cwd`, as an errno value; 0 when it can.
int directory_problem(const std::string& cwd) {
    struct stat info {};
    if (::stat(cwd.c_str(), &info) != 0) return errno;
    if (!S_ISDIR(info.st_mode)) return ENOTDIR;
    if (::access(cwd.c_str(), X_OK) != 0) return errno;
    return 0;
}

// The child only reports the errno of the step that failed; checking the directory from here tells whether it was
// the change of directory or the exec.
CommandResult describe_start_failure(const std::string& program, const std::string& cwd, int error) {
    if (!cwd.empty()) {
        if (int problem = directory_problem(cwd)) {
            return cannot_start(problem, "cannot change directory to " + shell_quote(cwd) + ": " + error_text(problem));
        }
    }
    return cannot_start(error, shell_quote(program) + ": " + error_text(error));
}

sigset_t only_sigpipe() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    return set;
}

// Writing to the stdin pipe of a command that exits without reading all of it raises SIGPIPE, whose default action
// kills this whole process. Asio writes the pipes on the event loop thread, so SIGPIPE is blocked there (only there:
// the host program's own signal handling is untouched) and the write fails with EPIPE instead (write_to_child()).
// Children get a clean signal mask back (ChildSetup).
void block_sigpipe_on_this_thread() {
    thread_local bool blocked = false;
    if (blocked) return;
    const sigset_t sigpipe = only_sigpipe();
    pthread_sigmask(SIG_BLOCK, &sigpipe, nullptr);
    blocked = true;
}

// A blocked SIGPIPE stays pending on the thread; take it off so that nothing remains for whoever unblocks it later.
void discard_pending_sigpipe() {
    const sigset_t sigpipe = only_sigpipe();
    const timespec no_wait{};
    while (sigtimedwait(&sigpipe, nullptr, &no_wait) == SIGPIPE) {
    }
}

// A Boost.Process v2 initializer: prepares the child between fork and exec. Only async-signal-safe calls here.
struct ChildSetup {
    // The working directory to change to; null to stay in this process's.
    const char* cwd = nullptr;

    bp::error_code on_exec_setup(bp::posix::default_launcher&, const bp::filesystem::path&, const char* const*) {
        // A session of its own makes the child the leader of a new process group, which a timeout kills as a whole
        // (grandchildren included); it also has no controlling terminal, so it can never stop to prompt on one.
        if (::setsid() == -1) return bp::error_code(errno, bp::system_category());
        // Undo what this process may have changed and a command expects at its defaults: SIGPIPE blocked on the
        // event loop thread (above) and ignored in hosts such as Python.
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        if (cwd != nullptr && ::chdir(cwd) == -1) return bp::error_code(errno, bp::system_category());
        return {};
    }

    // Called in the child when the exec (or the setup above) failed, after the launcher has sent errno to the parent.
    // Boost 1.81 then calls exit(), which would run this process's atexit handlers and static destructors in the
    // child (flushing copied buffers, joining threads that do not exist there): leave at once instead.
    void on_exec_error(bp::posix::default_launcher&, const bp::filesystem::path&, const char* const*,
                       const bp::error_code&) {
        ::_exit(exit_status_not_executable);
    }
    // Boost 1.81 looks for the hook above with this signature (a bug fixed in later versions) but calls the one above.
    void on_exec_error(bp::posix::default_launcher& launcher, const bp::error_code&, const bp::filesystem::path& exe,
                       const char* const* argv, const bp::error_code& error) {
        on_exec_error(launcher, exe, argv, error);
    }
};

// Starts `program` with `argv` (argv[0] included) and `environment`, its standard streams connected to `pipes`.
// Returns the errno value that kept it from starting in `error`.
bp::process start_process(const asio::any_io_executor& executor, const std::string& program,
                          const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                          const std::string& cwd, ChildPipes& pipes, bp::error_code& error) {
    std::vector<const char*> argv_pointers;
    for (const auto& arg : argv) argv_pointers.push_back(arg.c_str());
    argv_pointers.push_back(nullptr);
    std::vector<const char*> environment_pointers;
    for (const auto& entry : environment) environment_pointers.push_back(entry.c_str());
    environment_pointers.push_back(nullptr);

    bp::posix::default_launcher launcher;
    launcher.env = environment_pointers.data();
    // Passed as a `const char**`, argv is used as it is; a container would get the program's path as argv[0].
    const char** argv_data = argv_pointers.data();
    ChildSetup child_setup{cwd.empty() ? nullptr : cwd.c_str()};
    // Destroyed at the end of this function, which closes the child's ends of the pipes here: reading then ends when
    // the child (and every process it handed its output to) has closed them.
    bp::process_stdio stdio{pipes.in, pipes.out, pipes.err};
    bp::process process = launcher(executor, error, bp::filesystem::path(program), argv_data, stdio, child_setup);
    // Boost 1.81 does not wait for a child whose exec failed; reap it (it has already exited or is about to).
    if (error && launcher.pid > 0) ::waitpid(launcher.pid, nullptr, 0);
    return process;
}

}  // namespace

LaunchedChild launch_child(const CommandSpec& spec, const std::string& shell, const asio::any_io_executor& executor) {
    const std::vector<std::string> argv = argv_of(spec, shell);
    for (const auto& arg : argv) require_no_zero_byte(arg, "arguments");
    require_no_zero_byte(spec.cwd, "working directory");
    const std::vector<std::string> environment = child_environment(spec.env);

    LaunchedChild child(executor);
    const std::optional<std::string> program = find_program(argv[0], search_path(spec.env), spec.cwd);
    if (!program) {
        child.start_failure = cannot_start(ENOENT, shell_quote(argv[0]) + ": command not found");
        return child;
    }
    block_sigpipe_on_this_thread();
    bp::error_code start_error;
    child.process = start_process(executor, *program, argv, environment, spec.cwd, child.pipes, start_error);
    if (start_error) {
        child.start_failure = describe_start_failure(*program, spec.cwd, start_error.value());
        boost::system::error_code ignored;
        child.pipes.in.close(ignored);
        child.pipes.out.close(ignored);
        child.pipes.err.close(ignored);
    }
    return child;
}

asio::awaitable<bool> write_to_child(asio::writable_pipe& pipe, std::string_view data) {
    auto [error, size] = co_await asio::async_write(pipe, asio::buffer(data), asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::broken_pipe) {
        discard_pending_sigpipe();
        co_return false;
    }
    if (error) throw boost::system::system_error(error, "writing a command's standard input");
    co_return true;
}

asio::awaitable<int> wait_for_exit(bp::process& process) {
    co_await process.async_wait(asio::use_awaitable);
    const int status = process.native_exit_code();
    co_return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

}  // namespace hpcexec::local
