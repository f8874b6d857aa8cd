// Starting a command as a child process of this one, its standard streams connected to pipes: what run() and start()
// share.
#pragma once

#include <hpcexec/connector.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/process.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace hpcexec::local {

/// This process's ends of the pipes connected to a child's standard streams.
struct ChildPipes {
    explicit ChildPipes(const boost::asio::any_io_executor& executor) : in(executor), out(executor), err(executor) {}
    boost::asio::writable_pipe in;
    boost::asio::readable_pipe out;
    boost::asio::readable_pipe err;
};

/// A child started by launch_child(), or what a shell would have reported when it could not start.
struct LaunchedChild {
    explicit LaunchedChild(const boost::asio::any_io_executor& executor) : process(executor), pipes(executor) {}
    /// The running child. It called setsid(): it leads a session and a process group of its own, whose id is its
    /// process id. Empty (no process) when the command could not start.
    boost::process::v2::process process;
    /// Open only when the child started; the child's ends are already closed here.
    ChildPipes pipes;
    /// Set when the command could not start: exit status 127 when the program or the working directory does not
    /// exist, 126 when it cannot be used (permissions, not a directory, not an executable), with a message naming it
    /// as standard error.
    std::optional<CommandResult> start_failure;
};

/// Starts `spec`'s command on `executor`, which must be the event loop of the calling thread.
///
/// A shell command line runs as `<shell> -c <line>`; an argv vector runs without a shell, argv[0] being searched in
/// PATH (the command's PATH: spec.env's if set) when it contains no slash. The child starts in a session of its own
/// (so killing its process group reaches its whole process tree, and it never stops to prompt on a terminal) with
/// default signal handling, spec.cwd as its working directory and spec.env added to this process's environment.
/// spec.stdin_data and spec.timeout are the caller's business.
///
/// Also blocks SIGPIPE on the calling thread (see write_to_child()).
/// Throws Error for a request that can never run (an empty argv, a zero byte inside an argument, an environment
/// variable name containing '=').
LaunchedChild launch_child(const CommandSpec& spec, const std::string& shell,
                           const boost::asio::any_io_executor& executor);

/// Writes all of `data` to a child's standard input. Returns false when the child had closed it (or exited) before
/// taking everything, which is not an error of the writer: as in a shell pipeline, reading its input is the child's
/// business. Throws boost::system::system_error for any other failure.
///
/// Writing to a pipe nobody reads raises SIGPIPE, whose default action would kill this whole process; launch_child()
/// has blocked it on the event loop thread, where this runs, so the write fails with EPIPE instead.
boost::asio::awaitable<bool> write_to_child(boost::asio::writable_pipe& pipe, std::string_view data);

/// Waits until `process` exits and returns its exit status, 128+N when signal N killed it.
boost::asio::awaitable<int> wait_for_exit(boost::process::v2::process& process);

}  // namespace hpcexec::local
