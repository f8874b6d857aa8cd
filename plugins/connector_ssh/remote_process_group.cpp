#include "remote_process_group.hpp"

#include <charconv>
#include <system_error>
#include <utility>

namespace hpcexec::ssh {

namespace {

constexpr std::string_view report_prefix = "hpcexec-process-group=";
// How much standard error may come before the report until we stop waiting for it.
constexpr std::size_t report_search_limit = 64 * 1024;

}  // namespace

std::string with_process_group_report(const std::string& command_line) {
    return "printf '" + std::string(report_prefix) + "%s\\n' \"$$\" >&2; " + command_line;
}

std::string kill_process_group_command(long id) {
    const std::string pid = std::to_string(id);
    return "kill -s KILL -- -" + pid + " 2>/dev/null || kill -s KILL " + pid + " 2>/dev/null; true";
}

std::string ProcessGroupReport::take(std::string_view chunk) {
    if (settled_) return std::string(chunk);
    held_back_.append(chunk);
    const std::size_t start = held_back_.find(report_prefix);
    const std::size_t end = start == std::string::npos ? start : held_back_.find('\n', start);
    if (end == std::string::npos) {
        // Not there yet (or only partly): wait for more, within limits.
        return held_back_.size() > report_search_limit ? finish() : std::string();
    }
    const char* digits = held_back_.data() + start + report_prefix.size();
    long id = 0;
    if (std::from_chars(digits, held_back_.data() + end, id).ec == std::errc() && id > 1) id_ = id;
    settled_ = true;
    std::string rest = held_back_.substr(0, start) + held_back_.substr(end + 1);
    held_back_.clear();
    return rest;
}

std::string ProcessGroupReport::finish() {
    settled_ = true;
    return std::exchange(held_back_, std::string());
}

}  // namespace hpcexec::ssh
