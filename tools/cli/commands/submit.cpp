// `hpcexec submit [SCRIPT|-]`: submits a batch script and prints the job's id.
#include "cli_context.hpp"
#include "commands/commands.hpp"

#include <hpcexec/errors.hpp>

#include <boost/json/object.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace hpcexec::cli {
namespace {

std::string read_script(const std::string& source) {
    if (source.empty() || source == "-") {
        return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    std::ifstream in(source, std::ios::binary);
    if (!in) throw FileError("read", source, std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

int submit(CliContext& context) {
    const std::string source = context.operands().empty() ? "-" : context.operands().front();
    std::string script = read_script(source);
    if (script.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw UsageError("submit: the script " + (source == "-" ? std::string("on standard input") : source) +
                         " is empty");
    }
    SubmitOptions options;
    options.cwd = context.string_option("cwd");
    options.checkpoint_key = context.string_option("checkpoint-key");
    if (context.options().count("sbatch-arg")) {
        options.extra_args = context.options()["sbatch-arg"].as<std::vector<std::string>>();
    }
    context.queue_system();  // a configuration without a queue system is reported as such, before anything is written
    Job job = context.executor().submit(script, options);
    if (context.json()) {
        CliContext::print_json(boost::json::object{{"job_id", job.id()}, {"cwd", job.ref().cwd},
                                                   {"script", job.script_path()}});
    } else {
        std::cout << job.id() << "\n";
    }
    return exit_code::success;
}

}  // namespace

Command submit_command() {
    Command command;
    command.name = "submit";
    command.operands = "[SCRIPT|-]";
    command.summary = "Submit a batch script (a file or stdin); prints the job id.";
    command.details =
        "The script (with its #SBATCH lines) is written into --cwd as job-<content hash>.sbatch and submitted\n"
        "there; the job runs in that directory. Without SCRIPT, or with -, the script is read from standard input.\n"
        "With --checkpoint-key, submitting again with the same key (after a crash, from another process) returns\n"
        "the job submitted the first time instead of a second one.\n"
        "--json prints {\"job_id\": ..., \"cwd\": ..., \"script\": ...}.\n"
        "\n"
        "Examples:\n"
        "  hpcexec submit job.sh\n"
        "  printf '#!/bin/bash\\nhostname\\n' | hpcexec submit --sbatch-arg=--partition=debug -";
    command.max_operands = 1;
    command.add_options = [](po::options_description& options) {
        options.add_options()
            ("cwd", po::value<std::string>()->value_name("DIR"),
             "directory for the script and the job (relative: inside work_dir; default: work_dir)")
            ("checkpoint-key", po::value<std::string>()->value_name("KEY"),
             "submit exactly once under this key (recorded in the configured checkpoint store)")
            ("sbatch-arg", po::value<std::vector<std::string>>()->value_name("ARG")->composing(),
             "extra scheduler argument, passed as one argument (repeatable); write --sbatch-arg=--partition=x");
    };
    command.action = submit;
    return command;
}

}  // namespace hpcexec::cli
