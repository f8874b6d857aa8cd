// Running one command as a child process of this one and collecting everything it writes.
#pragma once

#include <hpcexec/connector.hpp>

#include <boost/asio/awaitable.hpp>

#include <string>

namespace hpcexec::local {

/// Runs `spec` to completion on the executor of the calling coroutine, which must be a single-threaded event loop
/// (the kernel's). The child starts as launch_child() says (own session, spec.cwd, spec.env, PATH search).
///
/// Standard input is written and then closed, while standard output and standard error are read, all concurrently
/// on the event loop: no amount of output in any order can deadlock, and no thread is started. spec.timeout kills the
/// child's whole process group when it expires.
///
/// A command that cannot start is reported like a shell reports it, as a result rather than an exception: exit status
/// 127 when the program or the working directory does not exist, 126 when it cannot be used (permissions, not a
/// directory, not an executable), with a message naming it on standard error.
///
/// Throws Error for a request that can never run (an empty argv, a zero byte inside an argument, an environment
/// variable name containing '=').
boost::asio::awaitable<CommandResult> run_process(CommandSpec spec, std::string shell);

}  // namespace hpcexec::local
