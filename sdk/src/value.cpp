#include <hpcexec/errors.hpp>
#include <hpcexec/value.hpp>

#include <cmath>

namespace hpcexec {

bool Tuple::operator==(const Tuple& other) const { return items == other.items; }
bool Dict::operator==(const Dict& other) const { return items == other.items; }
bool Set::operator==(const Set& other) const { return items == other.items; }

bool Value::operator==(const Value& other) const {
    // NaN equals NaN here: a value that went through a serializer and came back is "the same value".
    if (is<double>() && other.is<double>()) {
        double a = std::get<double>(v_), b = std::get<double>(other.v_);
        return a == b || (std::isnan(a) && std::isnan(b));
    }
    return v_ == other.v_;
}

std::string Value::kind_name() const {
    return std::visit(
        [](const auto& alternative) -> std::string {
            using T = std::decay_t<decltype(alternative)>;
            if constexpr (std::is_same_v<T, None>) return "None";
            else if constexpr (std::is_same_v<T, bool>) return "bool";
            else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, BigInt>) return "int";
            else if constexpr (std::is_same_v<T, double>) return "float";
            else if constexpr (std::is_same_v<T, std::string>) return "str";
            else if constexpr (std::is_same_v<T, Bytes>) return "bytes";
            else if constexpr (std::is_same_v<T, List>) return "list";
            else if constexpr (std::is_same_v<T, Tuple>) return "tuple";
            else if constexpr (std::is_same_v<T, Dict>) return "dict";
            else if constexpr (std::is_same_v<T, Set>) return "set";
            else return alternative.type_name;
        },
        v_);
}

void Value::throw_wrong_kind(const char* expected) const {
    throw SerializationError(std::string("expected a value of kind ") + expected + ", found " + kind_name());
}

}  // namespace hpcexec
