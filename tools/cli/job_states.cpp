#include "job_states.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace hpcexec::cli {
namespace {

// The script name a job has until its marker is found. No marker carries it, so the queue system finds none, which
// is the truth for a job that has not ended yet.
constexpr const char* unknown_script = "unknown-script";

// Slurm ids are "123", "123_4" (array task) or "123+1" (heterogeneous job component).
bool is_job_id(const std::string& id) {
    auto allowed = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '+' || c == '-';
    };
    return !id.empty() && std::isalnum(static_cast<unsigned char>(id.front())) &&
           std::all_of(id.begin(), id.end(), allowed);
}

std::string file_name_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The jobs' directory on the target. A configuration without a queue system is reported first, before resolving
// the directory connects to the target and creates work_dir.
std::string jobs_directory(CliContext& context, const std::string& cwd) {
    context.queue_system();
    return context.executor().resolve_path(cwd);
}

}  // namespace

std::vector<std::string> job_ids_from(const std::vector<std::string>& operands) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (const auto& operand : operands) {
        if (!is_job_id(operand)) throw UsageError("not a job id: '" + operand + "'");
        if (seen.insert(operand).second) ids.push_back(operand);
    }
    return ids;
}

JobLookup::JobLookup(CliContext& context, const std::vector<std::string>& ids, const std::string& cwd)
    : context_(context), directory_(jobs_directory(context, cwd)) {
    for (const auto& id : ids) refs_[id] = JobRef{id, directory_, unknown_script};
}

std::vector<JobRef> JobLookup::refs_of(const std::vector<std::string>& ids) const {
    std::vector<JobRef> refs;
    for (const auto& id : ids) refs.push_back(refs_.at(id));
    return refs;
}

void JobLookup::find_exit_markers() {
    // One listing for all jobs. The directory is used as a glob pattern: a directory whose name contains glob
    // characters finds no markers (the jobs then end without an exit code), which is the limit of Connector::glob.
    for (const auto& path : context_.executor().glob(directory_ + "/*.exit")) {
        const std::string name = file_name_of(path);
        for (auto& [id, ref] : refs_) {
            const std::string suffix = "." + id + ".exit";
            if (name.size() > suffix.size() && name.ends_with(suffix)) {
                ref.script_name = name.substr(0, name.size() - suffix.size());
            }
        }
    }
}

std::map<std::string, JobStatus> JobLookup::query(const std::vector<std::string>& ids) {
    auto statuses = context_.wait_for(context_.queue_system().query(refs_of(ids)));
    std::vector<std::string> ended_unnamed;
    for (const auto& id : ids) {
        auto it = statuses.find(id);
        if (it != statuses.end() && is_terminal(it->second.state) && refs_.at(id).script_name == unknown_script) {
            ended_unnamed.push_back(id);
        }
    }
    if (ended_unnamed.empty()) return statuses;

    // Some jobs ended while their markers were unknown: their exit codes (and, for jobs the scheduler has
    // forgotten, their true states) are in the markers. Ask again for those whose marker is there now.
    find_exit_markers();
    std::vector<std::string> named;
    for (const auto& id : ended_unnamed) {
        if (refs_.at(id).script_name != unknown_script) named.push_back(id);
    }
    if (named.empty()) return statuses;
    for (auto& [id, status] : context_.wait_for(context_.queue_system().query(refs_of(named)))) {
        statuses[id] = std::move(status);
    }
    return statuses;
}

bool ended_badly(JobState state) { return is_terminal(state) && state != JobState::completed; }

std::string describe(const std::string& id, const JobStatus& status) {
    std::string line = id + " " + std::string(to_string(status.state));
    if (status.exit_code) line += " (exit code " + std::to_string(*status.exit_code) + ")";
    if (!status.reason.empty()) line += " [" + status.reason + "]";
    return line;
}

boost::json::object to_json(const std::string& id, const JobStatus& status) {
    boost::json::object object;
    object["job_id"] = id;
    object["state"] = to_string(status.state);
    object["exit_code"] = status.exit_code ? boost::json::value(*status.exit_code) : boost::json::value(nullptr);
    object["reason"] = status.reason;
    return object;
}

}  // namespace hpcexec::cli
