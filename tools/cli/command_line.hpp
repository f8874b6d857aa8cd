// The command line of `hpcexec`: what a subcommand declares about itself, and the parsing and help text built from
// those declarations (Boost.Program_options does the option syntax and the column layout of the help).
#pragma once

#include <boost/program_options.hpp>

#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

namespace hpcexec::cli {

namespace po = boost::program_options;

class CliContext;

/// The command line is wrong. Reported as "hpcexec: <message>" with a pointer to --help; exit code 2.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// One subcommand: how it is called, its help text, and what it does.
/// Each lives in its own file under commands/ and is listed in main.cpp.
struct Command {
    /// As typed after `hpcexec`: "submit", or "checkpoints list" for a command inside a group.
    std::string name;
    /// Its operands as shown in the usage line: "[SCRIPT|-]", "JOBID...".
    std::string operands;
    /// One line for the top-level help.
    std::string summary;
    /// Further paragraphs for the command's own --help (may be empty).
    std::string details;
    /// How many operands it takes; max_operands < 0 means any number.
    int min_operands = 0;
    int max_operands = 0;
    /// True when the operands are a command line of their own (`run`): option parsing stops at the first operand,
    /// so `hpcexec run ls -l` hands `-l` to ls instead of complaining about it.
    bool operands_are_command_line = false;
    /// Adds the command's own options (null when it has none). The global options are added by the parser.
    std::function<void(po::options_description&)> add_options;
    /// Does the work and returns the exit code; errors are thrown and mapped to exit codes by main.
    std::function<int(CliContext&)> action;
};

/// The options every command accepts, before or after the command name.
po::options_description global_options();

/// What the top-level parse found: the global options given before the command, and the command's words.
struct TopLevel {
    /// Tokens of the global options before the command name, re-parsed with the command's own options.
    std::vector<std::string> global_tokens;
    /// The command name and everything after it, untouched.
    std::vector<std::string> rest;
    bool help = false;
};

/// Splits the command line at the first operand (the command name). Throws UsageError for an unknown option.
TopLevel parse_top_level(const std::vector<std::string>& args);

/// Parses a command's arguments (`tokens`: the global options given before the command name, then the arguments
/// after it) into a variables_map; the operands are under "operands". Throws UsageError for anything wrong,
/// except a missing operand when --help is given (the caller shows the help then).
po::variables_map parse_command(const Command& command, const std::vector<std::string>& tokens);

/// The operands of a parsed command (empty when none were given).
std::vector<std::string> operands_of(const po::variables_map& options);

/// The commands of a group ("checkpoints" holds "checkpoints list" and "checkpoints clear"); empty when `group` is
/// not the first word of any command.
std::vector<const Command*> commands_in_group(const std::vector<Command>& commands, const std::string& group);

/// `hpcexec --help`.
void print_top_level_help(const std::vector<Command>& commands, std::ostream& out);
/// `hpcexec <command> --help`.
void print_command_help(const Command& command, std::ostream& out);
/// `hpcexec <group> --help` for a group of commands such as `checkpoints`.
void print_group_help(const std::string& group, const std::vector<Command>& commands, std::ostream& out);

}  // namespace hpcexec::cli
