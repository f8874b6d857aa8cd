#include "ssh_config_file.hpp"

#include <hpcexec/errors.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include <glob.h>

namespace hpcexec::ssh {
namespace {

// Limits that keep hostile or broken files harmless.
constexpr int max_include_depth = 16;
constexpr int max_included_files = 256;
constexpr std::size_t max_file_size = 4 * 1024 * 1024;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// "Host a b,c" and "Match host a,b": both commas and blanks separate patterns.
std::vector<std::string> split_patterns(const std::vector<std::string>& arguments) {
    std::vector<std::string> patterns;
    for (const auto& argument : arguments) {
        std::string current;
        for (char c : argument) {
            if (c == ',') {
                if (!current.empty()) patterns.push_back(std::move(current));
                current.clear();
            } else {
                current += c;
            }
        }
        if (!current.empty()) patterns.push_back(std::move(current));
    }
    return patterns;
}

// OpenSSH's pattern lists: a negated pattern that matches excludes the host whatever else matches.
bool pattern_list_matches(const std::vector<std::string>& patterns, std::string_view host) {
    bool matched = false;
    for (const auto& pattern : patterns) {
        if (!pattern.empty() && pattern[0] == '!') {
            if (wildcard_match(host, std::string_view(pattern).substr(1))) return false;
        } else if (wildcard_match(host, pattern)) {
            matched = true;
        }
    }
    return matched;
}

std::optional<bool> yes_no(const std::string& value) {
    std::string v = to_lower(value);
    if (v == "yes" || v == "true") return true;
    if (v == "no" || v == "false") return false;
    return std::nullopt;
}

}  // namespace

bool wildcard_match(std::string_view text, std::string_view pattern) {
    // Classic greedy matcher: on a mismatch, backtrack to just after the last '*' and let it eat one more
    // character. O(len(text) * len(pattern)) at worst, no recursion.
    std::size_t t = 0, p = 0;
    std::size_t star = std::string_view::npos, star_text = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
            ++t;
            ++p;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_text = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++star_text;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

std::vector<std::string> split_config_line(std::string_view line) {
    std::vector<std::string> words;
    std::size_t i = 0;
    auto skip_blanks = [&] {
        while (i < line.size() && is_blank(line[i])) ++i;
    };
    skip_blanks();
    if (i >= line.size() || line[i] == '#') return words;
    // The keyword ends at a blank or '='; one '=' (with blanks around it) may separate it from the arguments.
    std::string keyword;
    while (i < line.size() && !is_blank(line[i]) && line[i] != '=') keyword += line[i++];
    words.push_back(std::move(keyword));
    skip_blanks();
    if (i < line.size() && line[i] == '=') ++i;
    while (true) {
        skip_blanks();
        if (i >= line.size()) break;
        if (line[i] == '#') break;  // a comment after the arguments
        std::string word;
        bool any = false;
        while (i < line.size() && !is_blank(line[i])) {
            char c = line[i];
            if (c == '"' || c == '\'') {
                // A quoted part: everything up to the matching quote (an unterminated quote runs to the end).
                std::size_t end = line.find(c, i + 1);
                if (end == std::string_view::npos) end = line.size();
                word.append(line.substr(i + 1, end - i - 1));
                i = end < line.size() ? end + 1 : end;
                any = true;
            } else {
                word += c;
                ++i;
                any = true;
            }
        }
        if (any) words.push_back(std::move(word));
    }
    return words;
}

SshConfigFile SshConfigFile::parse(std::string_view text, const std::filesystem::path& home) {
    SshConfigFile file;
    file.blocks_.push_back(Block{{}, true, false, {}});  // options before the first Host apply to every host
    file.parse_into(text, home, 0);
    return file;
}

SshConfigFile SshConfigFile::load(const std::filesystem::path& path, const std::filesystem::path& home,
                                  const std::string& key_path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return parse("", home);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(key_path, "cannot read the OpenSSH configuration file " + path.string());
    std::ostringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    if (text.size() > max_file_size) text.resize(max_file_size);
    return parse(text, home);
}

void SshConfigFile::parse_into(std::string_view text, const std::filesystem::path& home, int depth) {
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::vector<std::string> words = split_config_line(text.substr(start, end - start));
        start = end + 1;
        if (words.empty() || words[0].empty()) {
            if (end == text.size()) break;
            continue;
        }
        std::string keyword = to_lower(words[0]);
        std::vector<std::string> arguments(words.begin() + 1, words.end());

        if (keyword == "host") {
            blocks_.push_back(Block{split_patterns(arguments), false, false, {}});
        } else if (keyword == "match") {
            Block block;
            if (arguments.size() == 1 && to_lower(arguments[0]) == "all") {
                block.match_all = true;
            } else if (arguments.size() >= 2 &&
                       (to_lower(arguments[0]) == "host" || to_lower(arguments[0]) == "originalhost")) {
                block.patterns = split_patterns({arguments.begin() + 1, arguments.end()});
                // "Match host a exec ..." and other combinations: not understood, never applied.
                if (arguments.size() > 2) block.never = true;
            } else {
                block.never = true;
            }
            blocks_.push_back(std::move(block));
        } else if (keyword == "include") {
            if (depth >= max_include_depth) continue;
            for (const auto& argument : arguments) {
                std::string pattern = argument;
                if (pattern.rfind("~/", 0) == 0) pattern = (home / pattern.substr(2)).string();
                else if (pattern.empty() || pattern[0] != '/') pattern = (home / ".ssh" / pattern).string();
                glob_t matches{};
                if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0) {
                    for (std::size_t k = 0; k < matches.gl_pathc && files_included_ < max_included_files; ++k) {
                        ++files_included_;
                        std::ifstream in(matches.gl_pathv[k], std::ios::binary);
                        if (!in) continue;
                        std::ostringstream buffer;
                        buffer << in.rdbuf();
                        std::string included = buffer.str();
                        if (included.size() > max_file_size) included.resize(max_file_size);
                        // An included file's top lines belong to the block the Include is in; a Host inside it
                        // starts a block of its own (as in OpenSSH).
                        parse_into(included, home, depth + 1);
                    }
                }
                ::globfree(&matches);
            }
        } else {
            blocks_.back().options.push_back(Option{std::move(keyword), std::move(arguments)});
        }
        if (end == text.size()) break;
    }
}

bool SshConfigFile::block_applies(const Block& block, std::string_view host) {
    if (block.never) return false;
    if (block.match_all) return true;
    return pattern_list_matches(block.patterns, host);
}

SshConfigEntry SshConfigFile::lookup(std::string_view host) const {
    SshConfigEntry entry;
    for (const auto& block : blocks_) {
        if (!block_applies(block, host)) continue;
        for (const auto& option : block.options) {
            if (option.arguments.empty()) continue;
            const std::string& value = option.arguments[0];
            const std::string& k = option.keyword;
            if (k == "hostname" && !entry.host_name) {
                entry.host_name = value;
            } else if (k == "user" && !entry.user) {
                entry.user = value;
            } else if (k == "port" && !entry.port) {
                int port = 0;
                bool digits = !value.empty() && value.size() <= 5 &&
                              std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
                if (digits) port = std::stoi(value);
                if (port >= 1 && port <= 65535) entry.port = port;
            } else if (k == "identityfile") {
                if (std::find(entry.identity_files.begin(), entry.identity_files.end(), value) ==
                    entry.identity_files.end()) {
                    entry.identity_files.push_back(value);
                }
            } else if (k == "userknownhostsfile" && entry.user_known_hosts_files.empty()) {
                entry.user_known_hosts_files = option.arguments;
            } else if (k == "proxyjump" && !entry.proxy_jump) {
                entry.proxy_jump = value;
            } else if (k == "stricthostkeychecking" && !entry.strict_host_key_checking) {
                entry.strict_host_key_checking = to_lower(value);
            } else if (k == "identitiesonly" && !entry.identities_only) {
                entry.identities_only = yes_no(value);
            }
        }
    }
    return entry;
}

}  // namespace hpcexec::ssh
