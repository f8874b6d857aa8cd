#include "command_line.hpp"

#include <algorithm>
#include <ostream>

namespace hpcexec::cli {
namespace {

// Wide enough that the option descriptions stay on one line in most terminals.
constexpr unsigned help_width = 110;
constexpr unsigned help_description_column = 60;

// Boost's default option syntax, except that abbreviations (`--clu` for `--cluster`) are refused: with guessing,
// adding an option later could change what an existing script's command line means.
constexpr int option_style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

// The hidden option that collects the operands (positional arguments) of a command line.
constexpr const char* operands_key = "operands";

// A Program_options "extra style parser" that ends option parsing at the first operand: it and everything after
// it become operands. The top level uses it so that everything after the command name is left to the command,
// and `run` uses it so that the remote command's own options are not taken for ours.
std::vector<po::option> rest_are_operands(std::vector<std::string>& args) {
    std::vector<po::option> operands;
    if (args.empty()) return operands;
    const std::string& first = args.front();
    // An option, or the `--` terminator: Boost's own parsers take it. A lone "-" (standard input) is an operand.
    if (first.size() > 1 && first.front() == '-') return operands;
    for (auto& arg : args) {
        po::option operand;  // no string_key: Program_options assigns it to the positional "operands"
        operand.value.push_back(arg);
        operand.original_tokens.push_back(arg);
        operands.push_back(std::move(operand));
    }
    args.clear();
    return operands;
}

po::options_description operands_option() {
    po::options_description hidden;
    hidden.add_options()(operands_key, po::value<std::vector<std::string>>());
    return hidden;
}

po::positional_options_description all_positionals_are_operands() {
    po::positional_options_description positional;
    positional.add(operands_key, -1);
    return positional;
}

po::options_description own_options(const Command& command) {
    po::options_description own("Options", help_width, help_description_column);
    if (command.add_options) command.add_options(own);
    return own;
}

void check_operand_count(const Command& command, std::size_t count) {
    const auto given = static_cast<int>(count);
    if (given < command.min_operands) throw UsageError(command.name + ": missing operand: expects " + command.operands);
    if (command.max_operands >= 0 && given > command.max_operands) {
        throw UsageError(command.name + ": too many operands" +
                         (command.operands.empty() ? " (it takes none)" : " (expects " + command.operands + ")"));
    }
}

std::string usage_line(const Command& command) {
    std::string line = "Usage: hpcexec " + command.name + " [options]";
    if (!command.operands.empty()) line += " " + command.operands;
    return line;
}

// "  name operands      summary" lines, with the summaries in one column.
void print_command_table(const std::vector<const Command*>& commands, std::ostream& out) {
    std::size_t width = 0;
    auto call = [](const Command& c) { return c.operands.empty() ? c.name : c.name + " " + c.operands; };
    for (const auto* command : commands) width = std::max(width, call(*command).size());
    for (const auto* command : commands) {
        std::string shown = call(*command);
        out << "  " << shown << std::string(width - shown.size() + 3, ' ') << command->summary << "\n";
    }
}

}  // namespace

po::options_description global_options() {
    po::options_description global("Global options (before or after the command)", help_width,
                                   help_description_column);
    global.add_options()
        ("help,h", "show this help; after a command, the command's own help")
        ("config", po::value<std::string>()->value_name("FILE"),
         "the configuration file (default: $HPCEXEC_CONFIG, else ./hpcexec.yaml)")
        ("cluster", po::value<std::string>()->value_name("NAME"),
         "the cluster to use in a file that configures several under `executors`")
        ("json", po::bool_switch(),
         "JSON output on stdout (submit, status, wait, plugins, config check, checkpoints list)")
        ("log-level", po::value<std::string>()->value_name("LEVEL"),
         "trace, debug, info, warn (default), error or off; over the configuration's log_level");
    return global;
}

TopLevel parse_top_level(const std::vector<std::string>& args) {
    po::options_description all;
    all.add(global_options()).add(operands_option());
    po::parsed_options parsed(&all);
    try {
        parsed = po::command_line_parser(args)
                     .options(all)
                     .positional(all_positionals_are_operands())
                     .style(option_style)
                     .extra_style_parser(rest_are_operands)
                     .run();
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    TopLevel top;
    for (const auto& option : parsed.options) {
        if (option.position_key >= 0) {
            top.rest.push_back(option.value.front());
            continue;
        }
        if (option.string_key == "help") top.help = true;
        top.global_tokens.insert(top.global_tokens.end(), option.original_tokens.begin(), option.original_tokens.end());
    }
    return top;
}

po::variables_map parse_command(const Command& command, const std::vector<std::string>& tokens) {
    po::options_description all;
    all.add(own_options(command)).add(global_options()).add(operands_option());
    po::variables_map options;
    try {
        // The parser keeps pointers to the descriptions it is given: they must outlive run().
        const po::positional_options_description positionals = all_positionals_are_operands();
        po::command_line_parser parser(tokens);
        parser.options(all).positional(positionals).style(option_style);
        if (command.operands_are_command_line) parser.extra_style_parser(rest_are_operands);
        po::store(parser.run(), options);
        po::notify(options);
    } catch (const po::error& e) {
        throw UsageError(command.name + ": " + e.what());
    }
    if (!options.count("help")) check_operand_count(command, operands_of(options).size());
    return options;
}

std::vector<std::string> operands_of(const po::variables_map& options) {
    if (!options.count(operands_key)) return {};
    return options[operands_key].as<std::vector<std::string>>();
}

void print_top_level_help(const std::vector<Command>& commands, std::ostream& out) {
    out << "Usage: hpcexec [global options] COMMAND [options] [operands]\n"
           "\n"
           "Runs commands on an HPC cluster's login node, submits batch jobs to its scheduler (Slurm) and manages\n"
           "them, on this machine or over SSH, as the configuration file says.\n"
           "\n"
           "Commands:\n";
    std::vector<const Command*> all;
    for (const auto& command : commands) all.push_back(&command);
    print_command_table(all, out);
    out << "\n" << global_options() << "\n";
    out << "Relative remote paths are relative to the configuration's work_dir on the cluster.\n"
           "\n"
           "Exit codes:\n"
           "  0  success\n"
           "  1  a job did not complete, a command failed or a Python function raised (run: the command's own status)\n"
           "  2  usage error (unknown command or option, missing operand)\n"
           "  3  configuration error (syntax, unknown key, unknown cluster, plugin not found or not loadable)\n"
           "  4  connection error (the cluster cannot be reached)\n"
           "  5  scheduler error (the scheduler refused a request or did not answer)\n"
           "  6  timeout\n"
           "  7  other error (files, checkpoints, anything unexpected)\n"
           "\n"
           "Run 'hpcexec COMMAND --help' for a command's options.\n";
}

void print_command_help(const Command& command, std::ostream& out) {
    out << usage_line(command) << "\n\n" << command.summary << "\n";
    if (!command.details.empty()) out << "\n" << command.details << "\n";
    auto own = own_options(command);
    if (!own.options().empty()) out << "\n" << own;
    out << "\n" << global_options();
}

std::vector<const Command*> commands_in_group(const std::vector<Command>& commands, const std::string& group) {
    std::vector<const Command*> members;
    for (const auto& command : commands) {
        if (command.name.rfind(group + " ", 0) == 0) members.push_back(&command);
    }
    return members;
}

void print_group_help(const std::string& group, const std::vector<Command>& commands, std::ostream& out) {
    out << "Usage: hpcexec " << group << " COMMAND [options] [operands]\n\nCommands:\n";
    print_command_table(commands_in_group(commands, group), out);
    out << "\nRun 'hpcexec " << group << " COMMAND --help' for a command's options.\n";
}

}  // namespace hpcexec::cli
