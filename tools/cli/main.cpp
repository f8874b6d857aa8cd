// `hpcexec`: the command-line front end of the framework. Each subcommand lives in commands/<name>.cpp and
// declares its usage, help and options in a Command (command_line.hpp); this file lists them, finds the one the
// command line names, and turns what it throws into a message and an exit code.
//
// Exit codes (also in `hpcexec --help` and exit_codes.hpp; scripts rely on them):
//   0  success
//   1  a job did not complete (wait, status), a command failed or a Python function raised (py); `run` exits with
//      the command's own status instead
//   2  usage error: unknown command or option, missing or extra operand
//   3  configuration error: syntax, unknown key, unknown cluster, a plugin that cannot be found or loaded
//   4  connection error: the cluster cannot be reached, or the connection broke
//   5  scheduler error: the scheduler refused a request or did not answer
//   6  timeout (wait --timeout, run --timeout)
//   7  other error: files, checkpoints, anything unexpected
//
// Every error is printed on stderr as "hpcexec: <message>"; the framework's messages already name the key path,
// the file, the host or the remote command's output.
#include "cli_context.hpp"
#include "command_line.hpp"
#include "commands/commands.hpp"
#include "exit_codes.hpp"

#include <iostream>
#include <string>
#include <vector>

using namespace hpcexec::cli;

namespace {

// In the order `hpcexec --help` lists them.
std::vector<Command> all_commands() {
    std::vector<Command> commands;
    commands.push_back(run_command());
    commands.push_back(submit_command());
    commands.push_back(status_command());
    commands.push_back(wait_command());
    commands.push_back(cancel_command());
    commands.push_back(py_command());
    commands.push_back(upload_command());
    commands.push_back(download_command());
    commands.push_back(plugins_command());
    commands.push_back(config_check_command());
    commands.push_back(checkpoints_list_command());
    commands.push_back(checkpoints_clear_command());
    return commands;
}

const Command* find_command(const std::vector<Command>& commands, const std::string& name) {
    for (const auto& command : commands) {
        if (command.name == name) return &command;
    }
    return nullptr;
}

int run_cli(const std::vector<std::string>& args) {
    const auto commands = all_commands();
    TopLevel top = parse_top_level(args);
    if (top.rest.empty()) {
        if (top.help) {
            print_top_level_help(commands, std::cout);
            return exit_code::success;
        }
        throw UsageError("no command given");
    }

    // The command's name is one word, or two for a command inside a group ("checkpoints list").
    const std::string& first = top.rest.front();
    const Command* command = nullptr;
    std::size_t name_words = 1;
    if (const auto members = commands_in_group(commands, first); !members.empty()) {
        if (top.rest.size() > 1) command = find_command(commands, first + " " + top.rest[1]);
        if (!command) {
            bool help = top.help || (top.rest.size() > 1 && (top.rest[1] == "--help" || top.rest[1] == "-h"));
            if (help) {
                print_group_help(first, commands, std::cout);
                return exit_code::success;
            }
            std::string known;
            for (const auto* member : members) known += (known.empty() ? "" : ", ") + member->name;
            throw UsageError((top.rest.size() > 1 ? "unknown command '" + first + " " + top.rest[1] + "'"
                                                  : "'" + first + "' needs a command") +
                             " (known: " + known + ")");
        }
        name_words = 2;
    } else {
        command = find_command(commands, first);
        if (!command) throw UsageError("unknown command '" + first + "'");
    }

    // The global options given before the name are parsed again with the command's own, so both may come on
    // either side of it.
    std::vector<std::string> tokens = top.global_tokens;
    tokens.insert(tokens.end(), top.rest.begin() + static_cast<std::ptrdiff_t>(name_words), top.rest.end());
    auto options = parse_command(*command, tokens);
    if (options.count("help")) {
        print_command_help(*command, std::cout);
        return exit_code::success;
    }
    CliContext context(std::move(options));
    return command->action(context);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        return run_cli(args);
    } catch (const UsageError& e) {
        CliContext::warn(e.what());
        std::cerr << "Run 'hpcexec --help' for usage, 'hpcexec COMMAND --help' for a command's options.\n";
        return exit_code::usage;
    } catch (const std::exception& e) {
        CliContext::warn(e.what());
        return exit_code::for_error(std::current_exception());
    }
}
