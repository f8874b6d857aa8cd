// Shell quoting: the one way hpcexec puts a path or an argument into a POSIX shell command line.
#pragma once

#include <hpcexec/export.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec {

/// Returns `word` quoted for a POSIX shell so that the shell sees exactly these bytes as one word:
/// spaces, quotes, `$`, backquotes, globs and newlines lose their meaning. Safe words are returned as they are.
HPCEXEC_API std::string shell_quote(std::string_view word);

/// Quotes every element of argv and joins them with spaces.
HPCEXEC_API std::string shell_join(const std::vector<std::string>& argv);

/// Builds one shell command line that changes to `cwd` (if not empty), sets `env`, and runs `command`
/// (a shell command line, run as is). Environment names must be valid shell identifiers (throws Error otherwise).
HPCEXEC_API std::string shell_command_line(const std::string& command, const std::string& cwd,
                                           const std::map<std::string, std::string>& env);

}  // namespace hpcexec
