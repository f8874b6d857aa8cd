// The subcommands of `hpcexec`, one file each; main.cpp lists them in the order `hpcexec --help` shows them.
#pragma once

#include "command_line.hpp"
#include "exit_codes.hpp"

namespace hpcexec::cli {

Command run_command();
Command submit_command();
Command status_command();
Command wait_command();
Command cancel_command();
Command py_command();
Command upload_command();
Command download_command();
Command plugins_command();
Command config_check_command();
Command checkpoints_list_command();
Command checkpoints_clear_command();

}  // namespace hpcexec::cli
