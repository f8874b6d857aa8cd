#include "slurm_output.hpp"

#include <algorithm>
#include <charconv>

namespace hpcexec::slurm {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

// Splits off the next field up to `field_separator`; the rest of the line stays in `line`.
std::string_view next_field(std::string_view& line) {
    auto end = line.find(field_separator);
    std::string_view field = line.substr(0, end);
    line = end == std::string_view::npos ? std::string_view{} : line.substr(end + 1);
    return field;
}

// Calls `on_line` for each non-empty line.
template <class F> void for_each_line(std::string_view text, F&& on_line) {
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (!line.empty()) on_line(line);
    }
}

bool is_job_id(std::string_view id) {
    // Plain ids ("123"), array tasks ("123_4"), het job components ("123+1").
    if (id.empty() || id.front() < '0' || id.front() > '9') return false;
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || c == '_' || c == '+' || c == '[' || c == ']' || c == '-')) return false;
    }
    return true;
}

}  // namespace

JobState map_slurm_state(std::string_view slurm_state, std::string_view reason) {
    // sacct writes "CANCELLED by 1000"; only the first word is the state.
    slurm_state = slurm_state.substr(0, slurm_state.find(' '));
    if (slurm_state == "PENDING" || slurm_state == "REQUEUED" || slurm_state == "REQUEUE_FED" ||
        slurm_state == "CONFIGURING") {
        if (reason.starts_with("JobHeld")) return JobState::held;
        return slurm_state == "CONFIGURING" ? JobState::running : JobState::pending;
    }
    if (slurm_state == "RUNNING" || slurm_state == "COMPLETING" || slurm_state == "SIGNALING" ||
        slurm_state == "STAGE_OUT" || slurm_state == "RESIZING")
        return JobState::running;
    if (slurm_state == "COMPLETED") return JobState::completed;
    if (slurm_state == "FAILED" || slurm_state == "NODE_FAIL" || slurm_state == "BOOT_FAIL" ||
        slurm_state == "OUT_OF_MEMORY" || slurm_state == "DEADLINE" || slurm_state == "SPECIAL_EXIT" ||
        slurm_state == "PREEMPTED")
        return JobState::failed;
    if (slurm_state == "CANCELLED" || slurm_state == "REVOKED") return JobState::cancelled;
    if (slurm_state == "TIMEOUT") return JobState::timeout;
    if (slurm_state == "SUSPENDED" || slurm_state == "STOPPED" || slurm_state == "REQUEUE_HOLD" ||
        slurm_state == "RESV_DEL_HOLD")
        return JobState::held;
    return JobState::unknown;
}

std::unordered_map<std::string, QueueEntry> parse_squeue(std::string_view output, std::size_t* malformed_lines) {
    std::unordered_map<std::string, QueueEntry> jobs;
    // One bucket per line from the start: growing the table while 100,000 entries go in rehashes it ~17 times.
    jobs.reserve(static_cast<std::size_t>(std::count(output.begin(), output.end(), '\n')) + 1);
    std::size_t malformed = 0;
    for_each_line(output, [&](std::string_view line) {
        std::string_view id = trim(next_field(line));
        std::string_view state = trim(next_field(line));
        std::string_view reason = trim(next_field(line));
        std::string_view comment = line;  // the comment is last: it may itself contain the separator
        if (!is_job_id(id) || state.empty()) {
            ++malformed;
            return;
        }
        QueueEntry entry;
        entry.state = map_slurm_state(state, reason);
        entry.slurm_state = std::string(state);
        entry.reason = std::string(reason);
        entry.comment = std::string(comment == "(null)" ? std::string_view{} : comment);
        jobs.insert_or_assign(std::string(id), std::move(entry));
    });
    if (malformed_lines) *malformed_lines = malformed;
    return jobs;
}

std::unordered_map<std::string, AccountingEntry> parse_sacct(std::string_view output) {
    std::unordered_map<std::string, AccountingEntry> jobs;
    for_each_line(output, [&](std::string_view line) {
        std::string_view id = trim(next_field(line));
        std::string_view state = trim(next_field(line));
        std::string_view exit_code = trim(next_field(line));
        if (!is_job_id(id) || state.empty()) return;  // steps ("123.batch") and junk
        AccountingEntry entry;
        entry.state = map_slurm_state(state);
        entry.slurm_state = std::string(state.substr(0, state.find(' ')));
        // ExitCode is "status:signal".
        int code = 0;
        auto colon = exit_code.find(':');
        std::string_view status = exit_code.substr(0, colon);
        if (auto [p, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
            ec == std::errc() && p == status.data() + status.size() && !status.empty())
            entry.exit_code = code;
        jobs.insert_or_assign(std::string(id), std::move(entry));
    });
    return jobs;
}

std::optional<std::string> parse_sbatch_job_id(std::string_view output) {
    output = trim(output);
    // Only the last line: sbatch may print warnings before the id.
    if (auto newline = output.rfind('\n'); newline != std::string_view::npos) output = trim(output.substr(newline + 1));
    std::string_view id = output.substr(0, output.find(';'));
    if (id.empty()) return std::nullopt;
    for (char c : id) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    return std::string(id);
}

std::optional<int> parse_exit_marker(std::string_view content) {
    content = trim(content);
    int code = 0;
    auto [p, ec] = std::from_chars(content.data(), content.data() + content.size(), code);
    if (ec != std::errc() || p != content.data() + content.size() || content.empty() || code < 0 || code > 255)
        return std::nullopt;
    return code;
}

}  // namespace hpcexec::slurm
