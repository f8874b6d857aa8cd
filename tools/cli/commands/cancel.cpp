// `hpcexec cancel JOBID...`: asks the scheduler to cancel jobs.
#include "cli_context.hpp"
#include "commands/commands.hpp"
#include "job_states.hpp"

namespace hpcexec::cli {
namespace {

int cancel(CliContext& context) {
    auto ids = job_ids_from(context.operands());  // checked before anything is loaded or asked
    // One scheduler call for all jobs (the queue system's contract: an unknown or ended job is not an error).
    context.wait_for(context.queue_system().cancel(std::move(ids)));
    return exit_code::success;
}

}  // namespace

Command cancel_command() {
    Command command;
    command.name = "cancel";
    command.operands = "JOBID...";
    command.summary = "Cancel jobs.";
    command.details =
        "Asks the scheduler to cancel the jobs, in one call, and returns; `hpcexec wait` then sees them CANCELLED.\n"
        "A job that has already ended, or that the scheduler does not know, is left as it is (not an error).";
    command.min_operands = 1;
    command.max_operands = -1;
    command.action = cancel;
    return command;
}

}  // namespace hpcexec::cli
