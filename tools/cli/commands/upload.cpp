// `hpcexec upload LOCAL REMOTE`: copies a file or a directory tree to the cluster.
#include "cli_context.hpp"
#include "commands/commands.hpp"

namespace hpcexec::cli {
namespace {

int upload(CliContext& context) {
    context.executor().upload(context.operands().at(0), context.operands().at(1));
    return exit_code::success;
}

}  // namespace

Command upload_command() {
    Command command;
    command.name = "upload";
    command.operands = "LOCAL REMOTE";
    command.summary = "Copy a local file or directory to the cluster.";
    command.details =
        "A relative REMOTE is inside work_dir. REMOTE's parent directory must exist; a directory's contents are\n"
        "copied into REMOTE, which is created if missing.";
    command.min_operands = 2;
    command.max_operands = 2;
    command.action = upload;
    return command;
}

}  // namespace hpcexec::cli
