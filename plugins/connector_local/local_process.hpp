// LocalProcess: a command running on this machine with its standard streams open (Connector::start).
#pragma once

#include "child_launch.hpp"
#include "command_slots.hpp"

#include <hpcexec/connector.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/writable_pipe.hpp>
#include <boost/process/v2/process.hpp>

#include <memory>
#include <optional>
#include <string>

#include <sys/types.h>

namespace hpcexec::local {

/// A child process, started as launch_child() says (in a process group of its own), whose standard input and output
/// the caller uses directly while a background coroutine on the event loop drains its standard error.
///
/// READING: read_some() waits until standard output is readable, asks the kernel how many bytes the pipe holds
/// (FIONREAD) and reads exactly those into the string it returns: no intermediate buffer, no copy.
/// KILLING: SIGKILL to the child's process group, which reaches everything it started (unless that left the group).
/// After wait() has returned, kill() does nothing: the child is reaped and its id may belong to another process.
/// NOT STARTED: a command that cannot start (program or working directory missing, not executable) gives a process
/// that has already exited with status 127 or 126, with standard error saying why, as run() reports it.
/// LIFETIME: holds one of the connector's command slots until destroyed. The destructor may run on any thread: it
/// kills the process group at once and leaves closing the pipes and reaping the child to the event loop.
/// THREAD: the methods on the event loop's thread.
class LocalProcess final : public RemoteProcess {
public:
    /// Starts `spec`'s command on the calling coroutine's event loop and writes spec.stdin_data to it before returning
    /// (a process that stops reading early does not make this fail: its exit status tells). spec.timeout is ignored.
    /// Throws Error for a request that can never run (see launch_child()).
    static boost::asio::awaitable<std::unique_ptr<LocalProcess>> start(CommandSpec spec, std::string shell,
                                                                        CommandSlots::Slot slot);
    ~LocalProcess() override;

    boost::asio::awaitable<void> write(std::string data) override;
    boost::asio::awaitable<std::string> read_some() override;
    boost::asio::awaitable<void> close_stdin() override;
    /// Also waits until standard error has reached its end (every process that inherited it has closed it), so that
    /// stderr_text() is complete when this returns.
    boost::asio::awaitable<int> wait() override;
    std::string stderr_text() const override;
    void kill() override;

private:
    struct ErrorStream;  // standard error and what the background coroutine has read from it

    LocalProcess(const boost::asio::any_io_executor& executor, LaunchedChild child, CommandSlots::Slot slot);
    int bytes_waiting_on_stdout();

    boost::asio::any_io_executor executor_;
    CommandSlots::Slot slot_;
    boost::process::v2::process process_;
    /// The child's process id, which is also its process group's; 0 when it never started.
    pid_t process_group_ = 0;
    /// Known once the child is reaped, or from the start when it could not start.
    std::optional<int> exit_status_;
    boost::asio::writable_pipe stdin_;
    /// A descriptor rather than a pipe object: only a descriptor can wait for readability without reading.
    boost::asio::posix::stream_descriptor stdout_;
    std::shared_ptr<ErrorStream> stderr_;
};

}  // namespace hpcexec::local
