#include <hpcexec/errors.hpp>
#include <hpcexec/value_json.hpp>

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>

namespace hpcexec {
namespace {

[[noreturn]] void cannot_represent(const ValuePath& path, const std::string& what) {
    throw SerializationError(path.str() + ": " + what + " cannot be represented in JSON");
}

void check_depth(std::size_t depth, std::size_t max_depth, const ValuePath& path) {
    if (depth > max_depth)
        throw SerializationError(path.str() + ": nested deeper than " + std::to_string(max_depth) + " levels");
}

boost::json::string json_string(const std::string& text, const ValuePath& path, const char* what) {
    if (auto offset = find_invalid_utf8(text))
        cannot_represent(path,
                         std::string(what) + " that is not valid UTF-8 (at byte " + std::to_string(*offset) + ")");
    return boost::json::string(text);
}

boost::json::value to_json_at(const Value& value, const ValuePath& path, std::size_t depth, std::size_t max_depth) {
    check_depth(depth, max_depth, path);
    auto array_of = [&](const std::vector<Value>& items) {
        boost::json::array array;
        array.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i)
            array.push_back(to_json_at(items[i], path.index(i), depth + 1, max_depth));
        return boost::json::value(std::move(array));
    };
    return std::visit(
        [&](const auto& x) -> boost::json::value {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, None>) {
                return nullptr;
            } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t>) {
                return x;
            } else if constexpr (std::is_same_v<T, BigInt>) {
                // Up to UINT64_MAX a number still fits boost::json's uint64; beyond, it would become an inexact double.
                if (x.decimal[0] != '-') {
                    try {
                        return value.to<std::uint64_t>(path);
                    } catch (const SerializationError&) {
                    }
                }
                cannot_represent(path, "int " + x.decimal + " (beyond 64 bits)");
            } else if constexpr (std::is_same_v<T, double>) {
                if (!std::isfinite(x)) cannot_represent(path, "float " + value.repr());
                return x;
            } else if constexpr (std::is_same_v<T, std::string>) {
                return json_string(x, path, "str");
            } else if constexpr (std::is_same_v<T, List>) {
                return array_of(x);
            } else if constexpr (std::is_same_v<T, Tuple>) {
                return array_of(x.items);
            } else if constexpr (std::is_same_v<T, Dict>) {
                boost::json::object object;
                object.reserve(x.items.size());
                for (const auto& [key, item] : x.items) {
                    ValuePath item_path = path.key(key);
                    if (!key.template is<std::string>())
                        cannot_represent(item_path,
                                         "a dict key of kind " + key.kind_name() + " (JSON keys are strings)");
                    object[json_string(key.template as<std::string>(), item_path, "a dict key")] =
                        to_json_at(item, item_path, depth + 1, max_depth);
                }
                return object;
            } else if constexpr (std::is_same_v<T, Bytes>) {
                cannot_represent(path, "bytes");
            } else if constexpr (std::is_same_v<T, Set>) {
                cannot_represent(path, x.frozen ? "a frozenset" : "a set");
            } else {
                cannot_represent(path, "an opaque " + x.type_name + " object");
            }
        },
        value.variant());
}

Value from_json_at(const boost::json::value& json, const ValuePath& path, std::size_t depth, std::size_t max_depth) {
    check_depth(depth, max_depth, path);
    switch (json.kind()) {
        case boost::json::kind::null: return Value();
        case boost::json::kind::bool_: return Value(json.get_bool());
        case boost::json::kind::int64: return Value(json.get_int64());
        case boost::json::kind::uint64: return Value(json.get_uint64());
        case boost::json::kind::double_: return Value(json.get_double());
        case boost::json::kind::string: return Value(std::string(json.get_string()));
        case boost::json::kind::array: {
            const auto& array = json.get_array();
            List list;
            list.reserve(array.size());
            for (std::size_t i = 0; i < array.size(); ++i)
                list.push_back(from_json_at(array[i], path.index(i), depth + 1, max_depth));
            return Value(std::move(list));
        }
        case boost::json::kind::object: {
            Dict dict;
            dict.items.reserve(json.get_object().size());
            for (const auto& member : json.get_object()) {
                Value key(std::string(member.key()));
                Value item = from_json_at(member.value(), path.key(key), depth + 1, max_depth);
                dict.items.emplace_back(std::move(key), std::move(item));
            }
            return Value(std::move(dict));
        }
    }
    throw SerializationError(path.str() + ": unknown JSON kind");
}

}  // namespace

boost::json::value to_json(const Value& value, std::size_t max_depth) {
    return to_json_at(value, ValuePath{}, 0, max_depth);
}

Value from_json(const boost::json::value& json, std::size_t max_depth) {
    return from_json_at(json, ValuePath{}, 0, max_depth);
}

}  // namespace hpcexec
