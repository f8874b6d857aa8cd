// Value: data that crosses between C++ and a serialized form (Python pickle, JSON).
#pragma once

#include <hpcexec/export.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hpcexec {

class Value;

/// Python's None.
struct None {
    bool operator==(const None&) const = default;
};
/// An integer that does not fit in 64 bits, as its decimal text ("-1267650600228229401496703205376").
struct BigInt {
    std::string decimal;
    bool operator==(const BigInt&) const = default;
};
/// A byte string (Python bytes); may hold zero bytes.
struct Bytes {
    std::string data;
    bool operator==(const Bytes&) const = default;
};
/// A value C++ cannot decode (a numpy array, a datetime): kept as the serializer's bytes and passed back unchanged.
struct Opaque {
    /// The serializer that wrote `data` ("pickle").
    std::string format;
    /// What the value is, for messages ("datetime.datetime").
    std::string type_name;
    /// A complete serialized document holding just this value.
    std::string data;
    bool operator==(const Opaque&) const = default;
};
using List = std::vector<Value>;
/// A tuple: like List but kept apart so a round trip through Python gives back a tuple.
struct Tuple {
    std::vector<Value> items;
    bool operator==(const Tuple&) const;
};
/// A dict in insertion order; keys may be any value (ints, tuples...), not only strings.
struct Dict {
    std::vector<std::pair<Value, Value>> items;
    bool operator==(const Dict&) const;
};
/// A set (order as read or as written).
struct Set {
    std::vector<Value> items;
    bool operator==(const Set&) const;
};

/// A tree of values. OWNERSHIP: a regular value type (copy = deep copy). THREAD: like any std container.
class HPCEXEC_API Value {
public:
    using Variant = std::variant<None, bool, std::int64_t, BigInt, double, std::string, Bytes, List, Tuple, Dict,
                                 Set, Opaque>;

    Value() : v_(None{}) {}
    Value(None n) : v_(n) {}
    Value(bool b) : v_(b) {}
    Value(int i) : v_(std::int64_t{i}) {}
    Value(long i) : v_(std::int64_t{i}) {}
    Value(long long i) : v_(static_cast<std::int64_t>(i)) {}
    Value(double d) : v_(d) {}
    Value(const char* s) : v_(std::string(s)) {}
    Value(std::string s) : v_(std::move(s)) {}
    Value(BigInt b) : v_(std::move(b)) {}
    Value(Bytes b) : v_(std::move(b)) {}
    Value(List l) : v_(std::move(l)) {}
    Value(Tuple t) : v_(std::move(t)) {}
    Value(Dict d) : v_(std::move(d)) {}
    Value(Set s) : v_(std::move(s)) {}
    Value(Opaque o) : v_(std::move(o)) {}

    const Variant& variant() const noexcept { return v_; }
    Variant& variant() noexcept { return v_; }

    template <class T> bool is() const noexcept { return std::holds_alternative<T>(v_); }
    /// Returns the held alternative; throws SerializationError naming the expected and actual kinds otherwise.
    template <class T> const T& as() const;

    /// "None", "bool", "int", "float", "str", "bytes", "list", "tuple", "dict", "set", or the opaque type's name.
    std::string kind_name() const;

    bool operator==(const Value& other) const;

private:
    [[noreturn]] void throw_wrong_kind(const char* expected) const;
    Variant v_;
};

template <class T> const T& Value::as() const {
    if (const T* p = std::get_if<T>(&v_)) return *p;
    if constexpr (std::is_same_v<T, bool>) throw_wrong_kind("bool");
    else if constexpr (std::is_same_v<T, std::int64_t>) throw_wrong_kind("int");
    else if constexpr (std::is_same_v<T, double>) throw_wrong_kind("float");
    else if constexpr (std::is_same_v<T, std::string>) throw_wrong_kind("str");
    else throw_wrong_kind("another kind");
}

}  // namespace hpcexec
