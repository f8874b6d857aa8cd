// `hpcexec status JOBID...`: the current state of jobs, asked once.
#include "cli_context.hpp"
#include "commands/commands.hpp"
#include "job_states.hpp"

#include <boost/json/array.hpp>

#include <iostream>

namespace hpcexec::cli {
namespace {

int status(CliContext& context) {
    const auto ids = job_ids_from(context.operands());
    JobLookup lookup(context, ids, context.string_option("cwd"));
    const auto statuses = lookup.query(ids);

    bool any_ended_badly = false;
    boost::json::array jobs;
    for (const auto& id : ids) {
        auto it = statuses.find(id);
        JobStatus status = it != statuses.end() ? it->second : JobStatus{};  // not reported: UNKNOWN
        any_ended_badly = any_ended_badly || ended_badly(status.state);
        if (context.json()) jobs.push_back(to_json(id, status));
        else std::cout << describe(id, status) << "\n";
    }
    if (context.json()) CliContext::print_json(jobs);
    return any_ended_badly ? exit_code::job_failed : exit_code::success;
}

}  // namespace

Command status_command() {
    Command command;
    command.name = "status";
    command.operands = "JOBID...";
    command.summary = "Show the current state of jobs.";
    command.details =
        "Prints one line per job: JOBID STATE [(exit code N)] [[reason]]. The exit code of an ended job is read\n"
        "from the exit marker its script left beside it, so --cwd must name the directory the job was submitted\n"
        "with (default: work_dir). A job that neither the scheduler nor a marker knows (a wrong id, or one purged\n"
        "from the scheduler without a marker) is FAILED [vanished].\n"
        "Exit status: 1 when a job ended FAILED, CANCELLED or TIMEOUT, else 0 (pending and running jobs are fine).\n"
        "--json prints [{\"job_id\", \"state\", \"exit_code\" (null when unknown), \"reason\"}, ...].";
    command.min_operands = 1;
    command.max_operands = -1;
    command.add_options = [](po::options_description& options) {
        options.add_options()
            ("cwd", po::value<std::string>()->value_name("DIR"),
             "where the jobs were submitted (relative: inside work_dir; default: work_dir)");
    };
    command.action = status;
    return command;
}

}  // namespace hpcexec::cli
