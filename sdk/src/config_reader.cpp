#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>

namespace hpcexec {
namespace {

const char* json_kind_name(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64: return "an integer";
        case boost::json::kind::double_: return "a number";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::array: return "a list";
        case boost::json::kind::object: return "a mapping";
    }
    return "a value";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Parses "500ms", "10s", "2m", "1h", "1.5s" into milliseconds; nullopt when malformed.
std::optional<double> parse_duration_text(std::string_view text) {
    std::size_t digits_end = 0;
    while (digits_end < text.size() &&
           ((text[digits_end] >= '0' && text[digits_end] <= '9') || text[digits_end] == '.'))
        ++digits_end;
    if (digits_end == 0) return std::nullopt;
    double number = 0;
    try {
        std::size_t used = 0;
        number = std::stod(std::string(text.substr(0, digits_end)), &used);
        if (used != digits_end) return std::nullopt;
    } catch (const std::exception&) {
        return std::nullopt;
    }
    std::string_view unit = text.substr(digits_end);
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    if (unit == "ms") return number;
    if (unit == "s" || unit.empty()) return number * 1000;
    if (unit == "m" || unit == "min") return number * 60'000;
    if (unit == "h") return number * 3'600'000;
    return std::nullopt;
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = SIZE_MAX;
    for (const auto& candidate : candidates) {
        std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    // A typo is a few edits away; further than a third of the word is another word altogether.
    std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    return best_distance <= limit ? best : std::string();
}

ConfigReader::ConfigReader(const boost::json::value& value, std::string path) : path_(std::move(path)) {
    static const boost::json::object empty;
    if (value.is_null()) {
        object_ = &empty;
    } else if (value.is_object()) {
        object_ = &value.get_object();
    } else {
        throw ConfigError(path_, std::string("expected a mapping, found ") + json_kind_name(value));
    }
}

std::string ConfigReader::path_of(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const boost::json::value* ConfigReader::find(std::string_view key) {
    known_.emplace(key);
    auto it = object_->find(key);
    if (it == object_->end() || it->value().is_null()) return nullptr;
    return &it->value();
}

bool ConfigReader::has(std::string_view key) { return find(key) != nullptr; }

const boost::json::value* ConfigReader::raw(std::string_view key) { return find(key); }

std::optional<std::string> ConfigReader::string(std::string_view key) {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw ConfigError(path_of(key), std::string("expected a string, found ") + json_kind_name(*v));
    return std::string(v->get_string());
}

std::string ConfigReader::string(std::string_view key, std::string fallback) {
    auto v = string(key);
    return v ? *v : std::move(fallback);
}

std::optional<bool> ConfigReader::boolean(std::string_view key) {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (!v->is_bool()) throw ConfigError(path_of(key), std::string("expected true or false, found ") + json_kind_name(*v));
    return v->get_bool();
}

bool ConfigReader::boolean(std::string_view key, bool fallback) {
    auto v = boolean(key);
    return v ? *v : fallback;
}

std::optional<std::int64_t> ConfigReader::integer(std::string_view key, std::int64_t min, std::int64_t max) {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    std::int64_t n = 0;
    if (v->is_int64()) n = v->get_int64();
    else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
        n = static_cast<std::int64_t>(v->get_uint64());
    else if (v->is_double() && std::trunc(v->get_double()) == v->get_double() && std::abs(v->get_double()) < 9e15)
        n = static_cast<std::int64_t>(v->get_double());
    else throw ConfigError(path_of(key), std::string("expected an integer, found ") + json_kind_name(*v));
    if (n < min || n > max) {
        throw ConfigError(path_of(key), "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                            ", found " + std::to_string(n));
    }
    return n;
}

std::optional<std::chrono::milliseconds> ConfigReader::duration(std::string_view key) {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    std::optional<double> ms;
    if (v->is_number()) ms = v->to_number<double>() * 1000;
    else if (v->is_string()) ms = parse_duration_text(std::string_view(v->get_string()));
    else throw ConfigError(path_of(key), std::string("expected a duration, found ") + json_kind_name(*v));
    if (!ms) {
        throw ConfigError(path_of(key), "expected a duration such as 10, 0.5, \"500ms\", \"10s\", \"2m\" or \"1h\", found \"" +
                                            std::string(v->get_string()) + "\"");
    }
    if (*ms < 0 || !std::isfinite(*ms) || *ms > 1e15) throw ConfigError(path_of(key), "must be a non-negative duration");
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(*ms)));
}

std::optional<std::vector<std::string>> ConfigReader::string_list(std::string_view key) {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (v->is_string()) return std::vector<std::string>{std::string(v->get_string())};
    if (!v->is_array()) throw ConfigError(path_of(key), std::string("expected a list of strings, found ") + json_kind_name(*v));
    std::vector<std::string> out;
    std::size_t index = 0;
    for (const auto& item : v->get_array()) {
        if (!item.is_string()) {
            throw ConfigError(path_of(key) + "[" + std::to_string(index) + "]",
                              std::string("expected a string, found ") + json_kind_name(item));
        }
        out.emplace_back(item.get_string());
        ++index;
    }
    return out;
}

std::optional<std::string> ConfigReader::choice(std::string_view key, const std::vector<std::string>& choices) {
    auto v = string(key);
    if (!v) return std::nullopt;
    if (std::find(choices.begin(), choices.end(), *v) == choices.end()) {
        std::string list;
        for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
        throw ConfigError(path_of(key), "unknown value '" + *v + "' (expected one of: " + list + ")");
    }
    return v;
}

void ConfigReader::finish() const {
    std::vector<std::string> known(known_.begin(), known_.end());
    for (const auto& member : *object_) {
        std::string key(member.key());
        if (known_.count(key)) continue;
        std::string suggestion = closest_match(key, known);
        std::string problem = "unknown key";
        if (!suggestion.empty()) problem += " (did you mean " + suggestion + "?)";
        else if (!known.empty()) {
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            problem += " (known keys: " + list + ")";
        }
        throw ConfigError(path_of(key), problem);
    }
}

}  // namespace hpcexec
