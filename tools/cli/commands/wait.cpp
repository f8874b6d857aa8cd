// `hpcexec wait JOBID...`: waits until jobs end, showing their progress.
#include "cli_context.hpp"
#include "commands/commands.hpp"
#include "job_states.hpp"

#include <hpcexec/errors.hpp>

#include <boost/json/array.hpp>

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <thread>

namespace hpcexec::cli {
namespace {

using Clock = std::chrono::steady_clock;
using States = std::map<std::string, JobStatus>;

constexpr JobState all_states[] = {JobState::pending,   JobState::running, JobState::held,    JobState::completed,
                                   JobState::failed,    JobState::cancelled, JobState::timeout, JobState::unknown};

// "5 jobs: 1 PENDING, 2 RUNNING, 2 COMPLETED" (states in life-cycle order; a job not reported yet counts UNKNOWN).
std::string count_states(const std::vector<std::string>& ids, const States& latest) {
    std::map<JobState, int> counts;
    for (const auto& id : ids) {
        auto it = latest.find(id);
        ++counts[it == latest.end() ? JobState::unknown : it->second.state];
    }
    std::string text = std::to_string(ids.size()) + (ids.size() == 1 ? " job:" : " jobs:");
    const char* separator = " ";
    for (JobState state : all_states) {
        if (!counts[state]) continue;
        text += separator + std::to_string(counts[state]) + " " + std::string(to_string(state));
        separator = ", ";
    }
    return text;
}

// How `wait` shows progress. On a terminal: one line with the counts per state, redrawn in place, and at the end
// the jobs that did not complete. Otherwise (a pipe, a log file): a line whenever a job's state changes, which
// reads well in a log. With --json: nothing until the end, then the final states as one document.
class ProgressReport {
public:
    enum class Style { terminal, lines, json };

    ProgressReport(Style style, std::vector<std::string> ids) : style_(style), ids_(std::move(ids)) {}

    void update(const States& latest, Clock::duration elapsed) {
        if (style_ == Style::terminal) {
            auto seconds = std::chrono::duration_cast<std::chrono::seconds>(elapsed).count();
            // \r returns to the start of the line, \033[K erases what a longer previous line left behind.
            std::cout << "\r[" << seconds << " s] " << count_states(ids_, latest) << "\033[K" << std::flush;
        } else if (style_ == Style::lines) {
            for (const auto& id : ids_) {
                auto it = latest.find(id);
                if (it == latest.end()) continue;
                auto shown = std::make_pair(it->second.state, it->second.exit_code);
                if (auto previous = shown_.find(id); previous != shown_.end() && previous->second == shown) continue;
                shown_[id] = shown;
                std::cout << describe(id, it->second) << std::endl;
            }
        }
    }

    void finish(const States& latest) {
        if (style_ == Style::json) {
            boost::json::array jobs;
            for (const auto& id : ids_) jobs.push_back(to_json(id, status_of(latest, id)));
            CliContext::print_json(jobs);
            return;
        }
        if (style_ == Style::terminal) {
            std::cout << "\r\033[K";
            for (const auto& id : ids_) {
                JobStatus status = status_of(latest, id);
                if (status.state != JobState::completed) std::cout << describe(id, status) << "\n";
            }
        }
        std::cout << count_states(ids_, latest) << std::endl;
    }

private:
    static JobStatus status_of(const States& latest, const std::string& id) {
        auto it = latest.find(id);
        return it == latest.end() ? JobStatus{} : it->second;
    }

    Style style_;
    std::vector<std::string> ids_;
    std::map<std::string, std::pair<JobState, std::optional<int>>> shown_;  // lines: what was printed last per job
};

ProgressReport::Style style_for(const CliContext& context) {
    if (context.json()) return ProgressReport::Style::json;
    return isatty(STDOUT_FILENO) ? ProgressReport::Style::terminal : ProgressReport::Style::lines;
}

bool is_outage(const Error& error) {
    return dynamic_cast<const SchedulerError*>(&error) || dynamic_cast<const ConnectionError*>(&error);
}

int wait(CliContext& context) {
    const auto ids = job_ids_from(context.operands());
    const auto timeout = context.seconds_option("timeout");
    JobLookup lookup(context, ids, context.string_option("cwd"));
    const auto interval = context.queue_system().polling_interval();
    ProgressReport progress(style_for(context), ids);

    const auto started = Clock::now();
    States latest;
    std::vector<std::string> waiting = ids;
    bool answered_once = false;
    bool in_outage = false;
    for (;;) {
        try {
            for (auto& [id, status] : lookup.query(waiting)) latest[id] = std::move(status);
            answered_once = true;
            in_outage = false;
        } catch (const Error& e) {
            // Before the first answer, a failing query is an error (a wrong configuration, an unreachable host).
            // After it, it is an outage, as for the framework's status poller: states stay as they were and the
            // wait goes on (bounded by --timeout); a scheduler outage is never a job failure.
            if (!answered_once || !is_outage(e)) throw;
            if (!in_outage) CliContext::warn(std::string("cannot query job states; retrying: ") + e.what());
            in_outage = true;
        }
        std::erase_if(waiting, [&](const std::string& id) {
            auto it = latest.find(id);
            return it != latest.end() && is_terminal(it->second.state);
        });
        const auto now = Clock::now();
        progress.update(latest, now - started);
        if (waiting.empty()) break;
        if (timeout && now - started >= *timeout) {
            progress.finish(latest);
            std::string still;
            for (const auto& id : waiting) {
                auto it = latest.find(id);
                still += (still.empty() ? "" : ", ") + describe(id, it == latest.end() ? JobStatus{} : it->second);
            }
            throw TimeoutError("timed out after " + context.string_option("timeout") + " s; still waiting for " +
                               std::to_string(waiting.size()) + " of " + std::to_string(ids.size()) +
                               " jobs (they keep running): " + still);
        }
        auto pause = std::chrono::duration_cast<Clock::duration>(interval);
        if (timeout) pause = std::min(pause, started + *timeout - now);
        std::this_thread::sleep_for(pause);
    }
    progress.finish(latest);
    const bool all_completed = std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
        return latest.at(id).state == JobState::completed;
    });
    return all_completed ? exit_code::success : exit_code::job_failed;
}

}  // namespace

Command wait_command() {
    Command command;
    command.name = "wait";
    command.operands = "JOBID...";
    command.summary = "Wait until jobs end, showing their progress.";
    command.details =
        "Asks the scheduler once per polling_interval for all the jobs at once. On a terminal, one line with the\n"
        "number of jobs in each state is redrawn in place, and at the end the jobs that did not complete are\n"
        "listed; otherwise a line JOBID STATE [(exit code N)] [[reason]] is printed whenever a job's state\n"
        "changes. Both end with the counts per state. --json prints only the final states, as `status --json`.\n"
        "A job id that neither the scheduler nor an exit marker in --cwd knows ends FAILED [vanished].\n"
        "If the scheduler stops answering after the first answer, the wait goes on (with a warning).\n"
        "Exit status: 0 when every job COMPLETED; 1 when one ended FAILED, CANCELLED or TIMEOUT; 6 on --timeout\n"
        "(the jobs keep running).";
    command.min_operands = 1;
    command.max_operands = -1;
    command.add_options = [](po::options_description& options) {
        options.add_options()
            ("cwd", po::value<std::string>()->value_name("DIR"),
             "where the jobs were submitted (relative: inside work_dir; default: work_dir)")
            ("timeout", po::value<std::string>()->value_name("SECONDS"), "give up after this long (exit status 6)");
    };
    command.action = wait;
    return command;
}

}  // namespace hpcexec::cli
