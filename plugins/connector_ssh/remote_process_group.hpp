// The process group of a command started with Connector::start on the remote host: how its id reaches us, and the
// command that kills it.
//
// libssh2 1.10 cannot send SSH signals, and closing a channel only closes the command's pipes (sshd sends no signal to
// a command without a terminal): a command that reads no input, such as `sleep`, would outlive its channel. So the
// group is killed by a second, short command: `kill -s KILL -- -<id>`. The id comes from the remote shell itself.
// OpenSSH's sshd starts every command in a session of its own (setsid), so the login shell that runs the command line
// leads a process group whose id is its process id, `$$`; everything the command starts stays in that group unless
// it makes a group of its own (job control, setsid). The command line first writes that id to standard error, on a
// line of its own, where ProcessGroupReport takes it out again before anyone sees it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hpcexec::ssh {

/// `command_line` preceded by the report of the process group (see above).
std::string with_process_group_report(const std::string& command_line);

/// The command that sends SIGKILL to process group `id` (and, if the remote shell did not lead a group after all, to
/// process `id` alone). It always succeeds: a group that has already gone is no error.
std::string kill_process_group_command(long id);

/// Takes the report out of the command's standard error, chunk by chunk.
///
/// The report is the first thing the command line writes, but the login shell may have written something before it
/// (messages from the user's shell start-up files), so what comes before it is held back until it arrives and then
/// handed on unchanged. If it has not come after 64 KiB, or at the end of the stream, it never will: everything held
/// back is handed on and the id stays unknown.
class ProcessGroupReport {
public:
    /// Takes the next chunk of standard error; returns what of it (and of what was held back) belongs to the command.
    std::string take(std::string_view chunk);
    /// At the end of standard error: returns whatever is still held back.
    std::string finish();
    /// True once the id is known, or known never to come.
    bool settled() const noexcept { return settled_; }
    /// The process group's id; 0 while unknown.
    long id() const noexcept { return id_; }

private:
    std::string held_back_;
    bool settled_ = false;
    long id_ = 0;
};

}  // namespace hpcexec::ssh
