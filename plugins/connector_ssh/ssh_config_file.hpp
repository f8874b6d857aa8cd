// SshConfigFile: reads an OpenSSH client configuration (~/.ssh/config) the way `ssh` does, for the options the
// connector honours.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec::ssh {

/// What the configuration says about one host. As in OpenSSH, the first value obtained for an option wins (blocks
/// are read top to bottom), except IdentityFile, of which every value counts, in order.
/// Values are raw: `%h`, `~` and the like are expanded by the caller (they depend on the final host and user).
struct SshConfigEntry {
    std::optional<std::string> host_name;
    std::optional<std::string> user;
    std::optional<int> port;
    std::vector<std::string> identity_files;
    std::vector<std::string> user_known_hosts_files;
    /// "none", or a comma-separated chain of [user@]host[:port] (or ssh://[user@]host[:port]) jump hosts.
    std::optional<std::string> proxy_jump;
    /// yes, no, accept-new, off, ask.
    std::optional<std::string> strict_host_key_checking;
    std::optional<bool> identities_only;
};

/// A parsed configuration file.
///
/// Understood: `Host` blocks with patterns (`*`, `?`, `!negation`, several per line), `Match all` and
/// `Match host|originalhost <patterns>` (other Match criteria make their block never apply, the safe choice),
/// `Include` (globs; relative to ~/.ssh; nested at most 16 deep), `Keyword value` and `Keyword=value`, quoted
/// arguments, comments. Unknown keywords are ignored (they are other programs' business).
/// ROBUSTNESS: any input is accepted without crashing or unbounded work (it is fuzzed); malformed lines are skipped.
/// THREAD: immutable after construction; safe to share.
class SshConfigFile {
public:
    SshConfigFile() = default;

    /// Parses configuration text. `home` is where `~` and relative Include paths point (~/.ssh for the latter).
    static SshConfigFile parse(std::string_view text, const std::filesystem::path& home);
    /// Reads a file; a missing file is an empty configuration. Throws ConfigError(`key_path`, ...) when it exists
    /// but cannot be read.
    static SshConfigFile load(const std::filesystem::path& file, const std::filesystem::path& home,
                              const std::string& key_path);

    /// The options that apply to `host` as the user wrote it (an alias or a name).
    SshConfigEntry lookup(std::string_view host) const;

private:
    struct Option {
        std::string keyword;  // lower case
        std::vector<std::string> arguments;
    };
    struct Block {
        // Host patterns (empty with match_all = true for the top of the file and `Match all`).
        std::vector<std::string> patterns;
        bool match_all = false;
        bool never = false;
        std::vector<Option> options;
    };
    void parse_into(std::string_view text, const std::filesystem::path& home, int depth);
    static bool block_applies(const Block& block, std::string_view host);

    std::vector<Block> blocks_;
    // Included files read so far: bounds the work of include cycles and fan-out.
    int files_included_ = 0;
};

/// True when `text` matches the OpenSSH wildcard `pattern` (`*` any run, `?` one character), case-insensitively.
/// Linear in practice (iterative backtracking over the last `*` only).
bool wildcard_match(std::string_view text, std::string_view pattern);

/// Splits a configuration line into words as OpenSSH does: blanks separate, double or single quotes group, the
/// keyword may be followed by `=`. Returns an empty list for blank and comment lines.
std::vector<std::string> split_config_line(std::string_view line);

}  // namespace hpcexec::ssh
