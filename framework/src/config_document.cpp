// Parsing configuration documents: JSON, or YAML (a superset) converted to the same JSON value.
#include <hpcexec/config.hpp>
#include <hpcexec/errors.hpp>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

namespace hpcexec {
namespace json = boost::json;

namespace {

// Deeper documents are refused rather than risking the stack on hostile input.
constexpr int max_nesting = 64;

// YAML 1.2 core schema resolution of an unquoted scalar.
json::value resolve_plain_scalar(const std::string& text) {
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    static const std::regex integer_pattern("[-+]?[0-9]+");
    static const std::regex float_pattern(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (std::regex_match(text, integer_pattern)) {
        try {
            return static_cast<std::int64_t>(std::stoll(text));
        } catch (const std::out_of_range&) {
            return json::value(text);  // too large for 64 bits: kept as text rather than silently rounded
        }
    }
    if (std::regex_match(text, float_pattern)) return std::stod(text);
    if (text == ".inf" || text == ".Inf" || text == "+.inf") return std::numeric_limits<double>::infinity();
    if (text == "-.inf" || text == "-.Inf") return -std::numeric_limits<double>::infinity();
    return json::value(text);
}

json::value yaml_to_json(const YAML::Node& node, const std::string& origin, int depth) {
    if (depth > max_nesting) {
        throw ConfigError("", origin + ": nested deeper than " + std::to_string(max_nesting) + " levels");
    }
    switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null: return nullptr;
        case YAML::NodeType::Scalar:
            // A quoted scalar has the tag "!": it is a string even when it looks like a number.
            if (node.Tag() == "!") return json::value(node.Scalar());
            return resolve_plain_scalar(node.Scalar());
        case YAML::NodeType::Sequence: {
            json::array array;
            for (const auto& item : node) array.push_back(yaml_to_json(item, origin, depth + 1));
            return array;
        }
        case YAML::NodeType::Map: {
            json::object object;
            for (const auto& member : node) {
                if (!member.first.IsScalar()) {
                    throw ConfigError("", origin + ": line " + std::to_string(member.first.Mark().line + 1) +
                                              ": mapping keys must be plain text");
                }
                const std::string& key = member.first.Scalar();
                if (object.contains(key)) {
                    throw ConfigError(key, origin + ": line " + std::to_string(member.first.Mark().line + 1) +
                                               ": duplicate key");
                }
                object[key] = yaml_to_json(member.second, origin, depth + 1);
            }
            return object;
        }
    }
    return nullptr;
}

}  // namespace

json::value parse_config_text(std::string_view text, const std::string& origin) {
    // JSON first: it is exact about types. Anything else is read as YAML.
    boost::system::error_code ec;
    json::parse_options options;
    options.max_depth = max_nesting;
    json::value parsed = json::parse(text, ec, {}, options);
    if (!ec) return parsed;
    try {
        YAML::Node root = YAML::Load(std::string(text));
        return yaml_to_json(root, origin, 0);
    } catch (const YAML::Exception& e) {
        throw ConfigError("", origin + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                                  std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
}

json::value parse_config_file(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError("", file.string() + ": cannot read the configuration file: " + std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    return parse_config_text(buffer.str(), file.string());
}

}  // namespace hpcexec
