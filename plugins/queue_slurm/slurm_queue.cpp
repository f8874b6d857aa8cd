#include "slurm_queue.hpp"

#include "job_script.hpp"
#include "slurm_output.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <set>

namespace hpcexec::slurm {
namespace {

std::string first_line_of(const std::string& text) {
    auto end = text.find('\n');
    return text.substr(0, end);
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
    return text;
}

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::string marker_path(const JobRef& job) {
    return job.cwd + "/" + exit_marker_name(job.script_name, job.job_id);
}

// A job whose script exited with `code` and that Slurm no longer shows.
JobStatus status_from_marker(int code) {
    JobStatus status;
    status.state = code == 0 ? JobState::completed : JobState::failed;
    status.exit_code = code;
    return status;
}

}  // namespace

SlurmOptions SlurmOptions::read(ConfigReader& reader) {
    SlurmOptions o;
    o.sbatch_bin = reader.string("sbatch_bin", o.sbatch_bin);
    o.squeue_bin = reader.string("squeue_bin", o.squeue_bin);
    o.scancel_bin = reader.string("scancel_bin", o.scancel_bin);
    o.sacct_bin = reader.string("sacct_bin", o.sacct_bin);
    o.polling_interval = reader.duration("polling_interval").value_or(o.polling_interval);
    if (o.polling_interval < std::chrono::milliseconds(100)) {
        throw ConfigError(reader.path_of("polling_interval"), "must be at least 0.1 s (it is the interval between "
                                                              "squeue calls)");
    }
    o.command_timeout = reader.duration("command_timeout").value_or(o.command_timeout);
    if (auto args = reader.string_list("sbatch_args")) o.sbatch_args = *args;
    if (auto args = reader.string_list("squeue_args")) o.squeue_args = *args;
    if (auto args = reader.string_list("sacct_args")) o.sacct_args = *args;
    for (const auto* key : {"sbatch_bin", "squeue_bin", "scancel_bin"}) {
        if (reader.string(key, "x").empty()) throw ConfigError(reader.path_of(key), "must not be empty");
    }
    return o;
}

SlurmQueue::SlurmQueue(SlurmOptions options, std::shared_ptr<Connector> connector,
                       std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      connector_(std::move(connector)),
      logger_(std::move(logger)),
      accounting_usable_(!options_.sacct_bin.empty()) {}

SlurmQueue::~SlurmQueue() = default;

boost::asio::awaitable<CommandResult> SlurmQueue::run_slurm(std::vector<std::string> argv, const char* what) {
    CommandSpec spec;
    std::string shown = shell_join(argv);
    spec.command = std::move(argv);
    spec.timeout = options_.command_timeout;
    CommandResult result = co_await connector_->run(std::move(spec));
    if (result.timed_out) {
        throw SchedulerError(std::string(what) + " on " + connector_->target() + " did not answer within " +
                             std::to_string(options_.command_timeout.count() / 1000.0) + " s: " + shown);
    }
    co_return result;
}

boost::asio::awaitable<JobRef> SlurmQueue::submit(SubmitRequest request) {
    if (request.cwd.empty() || request.cwd.front() != '/') {
        throw SchedulerError("submit: the job's directory must be an absolute path, got '" + request.cwd + "'");
    }
    JobRef job;
    job.cwd = request.cwd;
    job.script_name = script_file_name(request.script);
    std::string script = with_exit_marker(request.script, request.cwd, job.script_name);

    // The script goes through the connector's file transfer (in-process locally, SFTP over SSH), so the
    // submission costs one remote command: sbatch itself. The directory is made only when writing into it failed
    // (usually it exists: a workflow's earlier steps made it, or an earlier job of the same directory), which saves
    // a remote command per job.
    const std::string script_path = request.cwd + "/" + job.script_name;
    bool written = false;
    try {
        co_await connector_->write_file(script_path, script);
        written = true;
    } catch (const FileError&) {
        // Most likely a missing directory: made below, then the write is tried once more (and then reported).
    }
    if (!written) {
        co_await connector_->mkdir(request.cwd);
        co_await connector_->write_file(script_path, std::move(script));
    }
    std::vector<std::string> sbatch{options_.sbatch_bin, "--parsable"};
    if (!request.token.empty()) sbatch.push_back("--comment=" + request.token);
    sbatch.insert(sbatch.end(), options_.sbatch_args.begin(), options_.sbatch_args.end());
    sbatch.insert(sbatch.end(), request.extra_args.begin(), request.extra_args.end());
    sbatch.push_back(job.script_name);
    CommandSpec spec;
    spec.command = std::move(sbatch);
    spec.cwd = request.cwd;
    spec.timeout = options_.command_timeout;
    CommandResult result = co_await connector_->run(std::move(spec));
    if (result.timed_out) {
        // The job may or may not exist now: say so; exactly-once submission (checkpoints) resolves it by token.
        throw SchedulerError("sbatch on " + connector_->target() + " did not answer within " +
                             std::to_string(options_.command_timeout.count() / 1000.0) +
                             " s; the job may have been submitted");
    }
    if (result.exit_status != 0) {
        std::string said = trimmed(result.stderr_data.empty() ? result.stdout_data : result.stderr_data);
        throw SchedulerError("sbatch refused the job (" + request.cwd + "/" + job.script_name + ") on " +
                             connector_->target() + ": " + said);
    }
    auto id = parse_sbatch_job_id(result.stdout_data);
    if (!id) {
        throw SchedulerError("sbatch on " + connector_->target() + " printed no job id: '" +
                             trimmed(result.stdout_data) + "' " + trimmed(result.stderr_data));
    }
    job.job_id = *id;
    logger_->debug("submitted job {} ({}/{})", job.job_id, job.cwd, job.script_name);
    co_return job;
}

boost::asio::awaitable<std::map<std::string, std::string>> SlurmQueue::read_markers(const std::vector<JobRef>& jobs) {
    // One command for all markers: prints "<path>\t<content>" for each marker that exists.
    std::string line = "for f in";
    for (const auto& job : jobs) line += " " + shell_quote(marker_path(job));
    line += "; do if [ -f \"$f\" ]; then printf '%s\\t%s\\n' \"$f\" \"$(head -c 16 \"$f\")\"; fi; done; true";
    CommandSpec spec;
    spec.command = line;
    spec.timeout = options_.command_timeout;
    CommandResult result = co_await connector_->run(std::move(spec));
    if (!result.ok()) {
        throw SchedulerError("reading exit markers on " + connector_->target() + " failed: " +
                             trimmed(result.stderr_data));
    }
    std::map<std::string, std::string> markers;
    std::string_view out = result.stdout_data;
    while (!out.empty()) {
        auto end = out.find('\n');
        std::string_view row = out.substr(0, end);
        out = end == std::string_view::npos ? std::string_view{} : out.substr(end + 1);
        auto tab = row.rfind('\t');
        if (tab != std::string_view::npos) markers.emplace(std::string(row.substr(0, tab)), std::string(row.substr(tab + 1)));
    }
    co_return markers;
}

boost::asio::awaitable<std::unordered_map<std::string, QueueEntry>> SlurmQueue::list_queue() {
    // All of the user's jobs, finished ones included: `squeue -j LIST` fails as soon as one id is purged, so the
    // whole list is asked for and callers filter it.
    std::vector<std::string> squeue{options_.squeue_bin, "--me", "--noheader", "--states=all",
                                    std::string("--format=") + squeue_format};
    squeue.insert(squeue.end(), options_.squeue_args.begin(), options_.squeue_args.end());
    CommandResult listed = co_await run_slurm(std::move(squeue), "squeue");
    if (listed.exit_status != 0) {
        throw SchedulerError("squeue failed on " + connector_->target() + " (exit status " +
                             std::to_string(listed.exit_status) + "): " + trimmed(listed.stderr_data));
    }
    co_return parse_squeue(listed.stdout_data);
}

boost::asio::awaitable<std::map<std::string, JobStatus>> SlurmQueue::query(std::vector<JobRef> jobs) {
    std::map<std::string, JobStatus> statuses;
    if (jobs.empty()) co_return statuses;

    // 1. One squeue for all of the user's jobs.
    auto queue = co_await list_queue();

    // 2. Jobs that finished or left the queue: their exit markers, in one command.
    std::vector<JobRef> need_marker;
    for (const auto& job : jobs) {
        auto it = queue.find(job.job_id);
        if (it == queue.end() || is_terminal(it->second.state)) need_marker.push_back(job);
    }
    std::map<std::string, std::string> markers;
    if (!need_marker.empty()) markers = co_await read_markers(need_marker);

    std::vector<std::string> unresolved;
    for (const auto& job : jobs) {
        auto marker_it = markers.find(marker_path(job));
        std::optional<int> marker_code;
        if (marker_it != markers.end()) marker_code = parse_exit_marker(marker_it->second);
        if (auto it = queue.find(job.job_id); it != queue.end()) {
            JobStatus status;
            status.state = it->second.state;
            status.reason = it->second.reason == "None" ? "" : it->second.reason;
            if (is_terminal(status.state)) {
                if (marker_code) status.exit_code = marker_code;
                else if (status.state == JobState::completed) status.exit_code = 0;
            }
            statuses[job.job_id] = std::move(status);
        } else if (marker_code) {
            statuses[job.job_id] = status_from_marker(*marker_code);
        } else {
            unresolved.push_back(job.job_id);
        }
    }

    // 3. Jobs with neither: accounting, where the cluster has it.
    if (!unresolved.empty() && accounting_usable_) {
        std::vector<std::string> sacct{options_.sacct_bin, "--noheader", "--parsable2", "--allocations",
                                       "--format=JobID,State,ExitCode", "--jobs=" + join(unresolved, ",")};
        sacct.insert(sacct.end(), options_.sacct_args.begin(), options_.sacct_args.end());
        CommandResult accounted = co_await run_slurm(std::move(sacct), "sacct");
        if (accounted.exit_status == 0) {
            auto accounting = parse_sacct(accounted.stdout_data);
            std::vector<std::string> still_unresolved;
            for (const auto& id : unresolved) {
                if (auto it = accounting.find(id); it != accounting.end() && it->second.state != JobState::unknown) {
                    JobStatus status;
                    status.state = it->second.state;
                    status.exit_code = it->second.exit_code;
                    status.reason = "from accounting (" + it->second.slurm_state + ")";
                    statuses[id] = std::move(status);
                } else {
                    still_unresolved.push_back(id);
                }
            }
            unresolved = std::move(still_unresolved);
        } else if (accounted.stderr_data.find("accounting storage is disabled") != std::string::npos ||
                   accounted.stderr_data.find("not configured") != std::string::npos) {
            accounting_usable_ = false;
            logger_->info("sacct on {} has no accounting ({}); relying on squeue and exit markers",
                          connector_->target(), first_line_of(accounted.stderr_data));
        } else {
            // Accounting trouble is like scheduler trouble: no verdict this round.
            throw SchedulerError("sacct failed on " + connector_->target() + ": " + trimmed(accounted.stderr_data));
        }
    }

    // 4. Nothing knows these jobs any more and they left no marker.
    for (const auto& id : unresolved) {
        JobStatus status;
        status.state = JobState::failed;
        status.reason = "vanished";
        statuses[id] = std::move(status);
    }
    co_return statuses;
}

boost::asio::awaitable<std::vector<JobRef>> SlurmQueue::find_submitted(SubmitRequest request) {
    std::vector<JobRef> jobs;
    const std::string& token = request.token;
    if (token.empty()) co_return jobs;
    std::set<std::string> found;
    for (const auto& [id, entry] : co_await list_queue()) {
        if (entry.comment == token) found.insert(id);
    }
    if (found.empty() && accounting_usable_) {
        std::vector<std::string> sacct{options_.sacct_bin, "--noheader", "--parsable2", "--allocations",
                                       "--format=JobID,Comment"};
        sacct.insert(sacct.end(), options_.sacct_args.begin(), options_.sacct_args.end());
        CommandResult accounted = co_await run_slurm(std::move(sacct), "sacct");
        if (accounted.exit_status == 0) {
            std::string_view out = accounted.stdout_data;
            while (!out.empty()) {
                auto end = out.find('\n');
                std::string_view row = out.substr(0, end);
                out = end == std::string_view::npos ? std::string_view{} : out.substr(end + 1);
                auto bar = row.find(field_separator);
                if (bar != std::string_view::npos && row.substr(bar + 1) == token) found.emplace(row.substr(0, bar));
            }
        }
    }
    for (const auto& id : found) jobs.push_back(JobRef{id, request.cwd, script_file_name(request.script)});
    co_return jobs;
}

boost::asio::awaitable<void> SlurmQueue::cancel(std::vector<std::string> job_ids) {
    if (job_ids.empty()) co_return;
    std::vector<std::string> scancel{options_.scancel_bin};
    scancel.insert(scancel.end(), job_ids.begin(), job_ids.end());
    CommandResult result = co_await run_slurm(std::move(scancel), "scancel");
    if (result.exit_status != 0) {
        throw SchedulerError("scancel " + join(job_ids, " ") + " failed on " + connector_->target() + ": " +
                             trimmed(result.stderr_data));
    }
}

}  // namespace hpcexec::slurm
