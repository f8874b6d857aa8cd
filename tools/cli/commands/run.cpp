// `hpcexec run CMD...`: runs a command on the login node and behaves like it: same output, same exit status.
#include "cli_context.hpp"
#include "commands/commands.hpp"

#include <hpcexec/errors.hpp>

#include <cstdio>
#include <iostream>
#include <iterator>

namespace hpcexec::cli {
namespace {

void write_all(std::FILE* stream, const std::string& data) {
    std::fwrite(data.data(), 1, data.size(), stream);
    std::fflush(stream);
}

std::string join_with_spaces(const std::vector<std::string>& words) {
    std::string line;
    for (const auto& word : words) line += (line.empty() ? "" : " ") + word;
    return line;
}

int run(CliContext& context) {
    RunOptions options;
    options.check = false;  // the command's failure is its exit status, not an error of ours
    options.cwd = context.string_option("cwd");
    options.timeout = context.seconds_option("timeout");
    if (context.flag("stdin")) {
        options.stdin_data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    auto& executor = context.executor();
    CommandResult result = context.flag("shell") ? executor.run(join_with_spaces(context.operands()), options)
                                                 : executor.run_argv(context.operands(), options);
    // The output is captured whole by the connector; stdout first, then stderr.
    write_all(stdout, result.stdout_data);
    write_all(stderr, result.stderr_data);
    if (result.timed_out) {
        throw TimeoutError("the command did not finish within --timeout " + context.string_option("timeout") +
                           " s and was killed");
    }
    if (result.exit_status < 0 || result.exit_status > 255) {
        throw Error("the command ended without an exit status (" + std::to_string(result.exit_status) + ")");
    }
    return result.exit_status;
}

}  // namespace

Command run_command() {
    Command command;
    command.name = "run";
    command.operands = "CMD [ARG...]";
    command.summary = "Run a command on the login node; exits with its exit status.";
    command.details =
        "The command runs in work_dir (or --cwd) without a shell: each ARG reaches it as it is. With --shell the\n"
        "operands are joined with spaces and run by /bin/sh -c, as ssh does (pipes, $VARIABLES, globs).\n"
        "Options of hpcexec go before CMD; everything from CMD on belongs to the command.\n"
        "Exit status: the command's own (128+N when killed by signal N); 6 when --timeout killed it.\n"
        "\n"
        "Examples:\n"
        "  hpcexec run ls -l\n"
        "  hpcexec run --shell 'squeue --me | wc -l'";
    command.min_operands = 1;
    command.max_operands = -1;
    command.operands_are_command_line = true;
    command.add_options = [](po::options_description& options) {
        options.add_options()
            ("cwd", po::value<std::string>()->value_name("DIR"),
             "directory to run in (relative: inside work_dir; default: work_dir)")
            ("shell", po::bool_switch(), "run the operands as one shell command line")
            ("stdin", po::bool_switch(), "pass this program's standard input to the command (read to its end)")
            ("timeout", po::value<std::string>()->value_name("SECONDS"), "kill the command after this long");
    };
    command.action = run;
    return command;
}

}  // namespace hpcexec::cli
