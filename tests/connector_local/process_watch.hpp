// Watching processes of this machine from a test: whether one still runs, waiting for it to die, and reading the pid
// a command wrote to a file. Shared by the tests of the local and the SSH connector (the test cluster's login node is
// this machine).
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>

#include <sys/types.h>

namespace process_watch {

/// True while process `pid` runs. A zombie (killed, not yet reaped by its new parent) counts as dead.
inline bool process_is_running(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    const std::string stat{std::istreambuf_iterator<char>(in), {}};
    const auto name_end = stat.rfind(')');  // "<pid> (<name>) <state> ...": the name may hold anything
    if (name_end == std::string::npos || name_end + 2 >= stat.size()) return false;
    const char state = stat[name_end + 2];
    return state != 'Z' && state != 'X';
}

/// Waits up to `limit` for `pid` to die; true when it did.
inline bool process_dies_within(pid_t pid, std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (process_is_running(pid)) {
        if (std::chrono::steady_clock::now() > give_up) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

/// Waits up to `limit` for `file` to hold a whole line with a process id (as `echo $$ > file` writes it).
inline std::optional<pid_t> pid_written_to(const std::filesystem::path& file, std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    for (;;) {
        std::ifstream in(file);
        const std::string text{std::istreambuf_iterator<char>(in), {}};
        if (!text.empty() && text.back() == '\n') return static_cast<pid_t>(std::stol(text));
        if (std::chrono::steady_clock::now() > give_up) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace process_watch
