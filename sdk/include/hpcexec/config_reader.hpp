// ConfigReader: typed, path-aware reading of a configuration object, shared by the kernel and every plugin so that
// every configuration error reads the same way: "<key path>: <problem>".
#pragma once

#include <hpcexec/export.hpp>

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec {

/// Reads the members of one JSON object, remembering which keys are known, so that finish() can reject any other key
/// with a suggestion ("unknown key (did you mean polling_interval?)").
///
/// OWNERSHIP: refers to the object it reads; that value must outlive the reader. THREAD: one thread.
/// ERRORS: every accessor throws ConfigError with the full key path when the member has the wrong type or an
/// invalid value. A member that is JSON null counts as absent.
class HPCEXEC_API ConfigReader {
public:
    /// `path` is the dotted key path of `value` ("" for the document root). Throws ConfigError if `value` is not
    /// an object (null counts as an empty object).
    ConfigReader(const boost::json::value& value, std::string path);

    /// The full path of a member: "queue_system.slurm" + "sbatch_bin".
    std::string path_of(std::string_view key) const;
    const std::string& path() const noexcept { return path_; }

    /// Marks `key` as known and tells whether it is present (and not null).
    bool has(std::string_view key);

    std::optional<std::string> string(std::string_view key);
    std::string string(std::string_view key, std::string fallback);
    std::optional<bool> boolean(std::string_view key);
    bool boolean(std::string_view key, bool fallback);
    /// An integer within [min, max].
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min = INT64_MIN,
                                        std::int64_t max = INT64_MAX);
    /// A duration: a number of seconds (10, 0.5) or a string with a unit ("500ms", "10s", "2m", "1h").
    /// Negative durations are rejected.
    std::optional<std::chrono::milliseconds> duration(std::string_view key);
    /// A list of strings; a single string is accepted as a list of one.
    std::optional<std::vector<std::string>> string_list(std::string_view key);
    /// One of `choices`; the error lists them.
    std::optional<std::string> choice(std::string_view key, const std::vector<std::string>& choices);
    /// The raw member (for nested objects read by another ConfigReader), or nullptr when absent.
    const boost::json::value* raw(std::string_view key);

    /// Throws ConfigError for the first member that no accessor asked about, suggesting the closest known key.
    void finish() const;

private:
    const boost::json::value* find(std::string_view key);
    const boost::json::object* object_;
    std::string path_;
    std::set<std::string, std::less<>> known_;
};

/// Returns the candidate closest to `word` by edit distance if it is close enough to be a likely typo, else "".
HPCEXEC_API std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace hpcexec
