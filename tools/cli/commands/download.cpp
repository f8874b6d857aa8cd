// `hpcexec download REMOTE LOCAL`: copies a file or a directory tree from the cluster.
#include "cli_context.hpp"
#include "commands/commands.hpp"

namespace hpcexec::cli {
namespace {

int download(CliContext& context) {
    context.executor().download(context.operands().at(0), context.operands().at(1));
    return exit_code::success;
}

}  // namespace

Command download_command() {
    Command command;
    command.name = "download";
    command.operands = "REMOTE LOCAL";
    command.summary = "Copy a file or directory from the cluster to this machine.";
    command.details = "A relative REMOTE is inside work_dir; a relative LOCAL is relative to the current directory.";
    command.min_operands = 2;
    command.max_operands = 2;
    command.action = download;
    return command;
}

}  // namespace hpcexec::cli
