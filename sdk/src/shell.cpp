#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

namespace hpcexec {
namespace {

bool is_safe_shell_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || c == '/' || c == ',' || c == ':' || c == '+' || c == '=' || c == '@' || c == '%';
}

bool is_shell_identifier(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    }
    return true;
}

}  // namespace

std::string shell_quote(std::string_view word) {
    if (!word.empty()) {
        bool safe = true;
        for (char c : word) safe = safe && is_safe_shell_char(c);
        // A leading '=' or '%' is harmless, but '~' and '-' handling is the caller's business; '=' alone is safe.
        if (safe) return std::string(word);
    }
    // Inside single quotes nothing is special except the single quote itself, written as '\''.
    std::string quoted = "'";
    for (char c : word) {
        if (c == '\'') quoted += "'\\''";
        else quoted += c;
    }
    quoted += '\'';
    return quoted;
}

std::string shell_join(const std::vector<std::string>& argv) {
    std::string line;
    for (const auto& arg : argv) {
        if (!line.empty()) line += ' ';
        line += shell_quote(arg);
    }
    return line;
}

std::string shell_command_line(const std::string& command, const std::string& cwd,
                               const std::map<std::string, std::string>& env) {
    std::string line;
    // `|| exit 1;` rather than `&&`: the command may itself be a list (`a; b`), none of which must run elsewhere.
    if (!cwd.empty()) line += "cd " + shell_quote(cwd) + " || exit 1; ";
    for (const auto& [name, value] : env) {
        if (!is_shell_identifier(name)) throw Error("invalid environment variable name: " + shell_quote(name));
        line += "export " + name + "=" + shell_quote(value) + "; ";
    }
    line += command;
    return line;
}

}  // namespace hpcexec
