#include "job_script.hpp"

#include <hpcexec/shell.hpp>

#include <cstdint>
#include <cstdio>

namespace hpcexec::slurm {
namespace {

// FNV-1a: a stable, dependency-free content hash. It names files; it is not a security boundary.
std::uint64_t fnv1a64(std::string_view data) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (unsigned char c : data) {
        hash ^= c;
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

bool is_posix_shell_shebang(std::string_view first_line) {
    if (!first_line.starts_with("#!")) return false;
    for (std::string_view shell : {"/sh", "bash", "/dash", "/ksh", "/zsh", "env sh"}) {
        if (first_line.find(shell) != std::string_view::npos) return true;
    }
    return false;
}

}  // namespace

std::string script_file_name(std::string_view script) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(script)));
    return "job-" + std::string(hex) + ".sbatch";
}

std::string exit_marker_name(std::string_view script_name, std::string_view job_id) {
    return std::string(script_name) + "." + std::string(job_id) + ".exit";
}

std::string with_exit_marker(std::string_view script, std::string_view directory, std::string_view script_name) {
    std::string_view first_line = script.substr(0, script.find('\n'));
    if (!is_posix_shell_shebang(first_line)) return std::string(script);

    // sbatch reads #SBATCH lines only until the first command: insert after the header block.
    std::size_t insert_at = 0;
    while (insert_at < script.size()) {
        std::size_t end = script.find('\n', insert_at);
        std::string_view line = script.substr(insert_at, end == std::string_view::npos ? std::string_view::npos : end - insert_at);
        std::size_t first = line.find_first_not_of(" \t\r");
        if (first != std::string_view::npos && line[first] != '#') break;
        if (end == std::string_view::npos) {
            insert_at = script.size();
            break;
        }
        insert_at = end + 1;
    }
    std::string marker_prefix = shell_quote(std::string(directory) + "/" + std::string(script_name) + ".");
    std::string recorder =
        "# hpcexec: record this script's exit status beside it, so the job's end is known even after Slurm has\n"
        "# forgotten the job.\n"
        "__hpcexec_record_exit() {\n"
        "  __hpcexec_status=$?\n"
        "  __hpcexec_marker=" + marker_prefix + "\"${SLURM_JOB_ID:-unknown}.exit\"\n"
        "  printf '%s\\n' \"$__hpcexec_status\" > \"$__hpcexec_marker.tmp\" && mv -f \"$__hpcexec_marker.tmp\" \"$__hpcexec_marker\"\n"
        "}\n"
        "trap __hpcexec_record_exit EXIT\n"
        "# Slurm ends a cancelled or timed-out job with SIGTERM: exit with 128+15 so the marker says so.\n"
        "trap 'exit 143' TERM\n";
    std::string out(script.substr(0, insert_at));
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += recorder;
    out += script.substr(insert_at);
    return out;
}

}  // namespace hpcexec::slurm
