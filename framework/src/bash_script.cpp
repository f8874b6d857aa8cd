#include <hpcexec/bash_script.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

namespace hpcexec {
namespace {

const std::string fence(80, '#');

std::string command_text(const BashStep& step) {
    if (const auto* line = std::get_if<std::string>(&step.cmd)) return *line;
    const auto& argv = std::get<std::vector<std::string>>(step.cmd);
    if (argv.empty()) throw Error("BashStep: the command's argument vector is empty");
    return shell_join(argv);
}

void append_line(std::string& out, const std::string& text) {
    if (text.empty()) return;
    out += text;
    if (out.back() != '\n') out += '\n';
}

// Runs the steps of a group in the background and fails when any of them failed.
std::string render_group(const std::vector<BashStep>& group) {
    std::string out = "__hpcexec_pids=''\n";
    for (const auto& step : group) {
        out += "(\n" + render_bash_step(step) + ") &\n";
        out += "__hpcexec_pids=\"$__hpcexec_pids $!\"\n";
    }
    out += "__hpcexec_group_status=0\n"
           "for __hpcexec_pid in $__hpcexec_pids; do wait \"$__hpcexec_pid\" || __hpcexec_group_status=$?; done\n"
           "[ \"$__hpcexec_group_status\" -eq 0 ] || exit \"$__hpcexec_group_status\"\n";
    return out;
}

}  // namespace

std::string render_bash_step(const BashStep& step) {
    std::string body = fence + "\n" + command_text(step) + "\n" + fence + "\n";
    if (!step.checkpoint.empty()) {
        std::string file = shell_quote(step.checkpoint + ".checkpoint");
        std::string message = shell_quote("hit checkpoint file " + step.checkpoint + ".checkpoint, skip");
        // The checkpoint is created only when the step succeeded, and the step's status is kept for the guard.
        body = "if [ -f " + file + " ]; then echo " + message + "; else\n" + body +
               "__hpcexec_status=$?; if [ \"$__hpcexec_status\" -eq 0 ]; then touch " + file +
               "; fi; (exit \"$__hpcexec_status\"); fi\n";
    }
    if (!step.cwd.empty()) {
        body = "pushd " + shell_quote(step.cwd) + " > /dev/null || exit $?\n" + body +
               "__hpcexec_status=$?; popd > /dev/null; (exit \"$__hpcexec_status\")\n";
    }
    if (step.exit_on_error) body += "__hpcexec_status=$?; [ \"$__hpcexec_status\" -eq 0 ] || exit \"$__hpcexec_status\"\n";
    return body;
}

std::string BashScript::render() const {
    std::string out;
    append_line(out, templ.shebang);
    append_line(out, templ.header);
    append_line(out, templ.setup);
    for (const auto& item : steps) {
        if (const auto* step = std::get_if<BashStep>(&item)) out += render_bash_step(*step);
        else out += render_group(std::get<std::vector<BashStep>>(item));
    }
    append_line(out, templ.teardown);
    return out;
}

}  // namespace hpcexec
