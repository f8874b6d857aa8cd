// Value: data that crosses between C++ and a serialized form (Python pickle, JSON).
//
// A Value is one of: None, bool, int (std::int64_t, or BigInt beyond 64 bits), float (double), str (UTF-8 text),
// bytes, list, tuple, dict (ordered; keys of any kind), set (or frozenset), and Opaque: an object C++ cannot decode
// (a datetime, a numpy array), kept as the serializer's own bytes so that it can be passed back unchanged.
//
// Ordinary C++ types convert both ways:
//
//     hpcexec::Value v = 3;                                         // int
//     v = std::vector<int>{1, 2, 3};                                // list
//     v = std::map<std::string, double>{{"a", 0.5}};                // dict with str keys
//     v = std::optional<int>{};                                     // None
//     auto m = v.to<std::map<std::string, double>>();               // converts, or throws SerializationError
//     const hpcexec::List& items = v.as<hpcexec::List>();           // the held alternative, no conversion
//
// Support for another C++ type is added by specializing hpcexec::ValueConversion<T> (see below).
//
// OWNERSHIP: a regular value type: copying copies the whole tree; nothing is shared between two Values.
// THREAD: like a standard container: concurrent reads are safe, a write needs exclusive access.
// ERRORS: conversions throw SerializationError whose message starts with the path of the offending part inside the
// value, e.g. "value[2].size: expected int, found str".
#pragma once

#include <hpcexec/errors.hpp>
#include <hpcexec/export.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
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
/// INVARIANT (kept by Value's constructor): a Value never holds a BigInt whose number fits in std::int64_t; such a
/// number is stored as std::int64_t, so each integer has exactly one representation.
struct BigInt {
    std::string decimal;
    bool operator==(const BigInt&) const = default;
};
/// A byte string (Python bytes; a bytearray is read as bytes too); may hold zero bytes.
struct Bytes {
    std::string data;
    bool operator==(const Bytes&) const = default;
};
/// A value C++ cannot decode (a numpy array, a datetime): kept as the serializer's bytes and passed back unchanged.
struct Opaque {
    /// The serializer that wrote `data` ("pickle").
    std::string format;
    /// What the value is, for messages ("datetime.datetime"; "global math.sqrt" for a reference to a function or
    /// class itself).
    std::string type_name;
    /// A complete serialized document holding just this value.
    std::string data;
    bool operator==(const Opaque&) const = default;
};
using List = std::vector<Value>;
/// A tuple: like List but kept apart so a round trip through Python gives back a tuple.
struct HPCEXEC_API Tuple {
    std::vector<Value> items;
    bool operator==(const Tuple&) const;
};
/// A dict in insertion order; keys may be any value (ints, tuples...), not only strings.
/// Equality ignores the order, as in Python.
struct HPCEXEC_API Dict {
    std::vector<std::pair<Value, Value>> items;
    /// The value stored under `key`, or nullptr. Linear search: meant for small dicts such as keyword arguments.
    const Value* find(const Value& key) const;
    bool operator==(const Dict&) const;
};
/// A set, or a frozenset when `frozen` (a frozenset can be a dict key or a set element in Python; a set cannot).
/// Items keep the order in which they were read or added; equality ignores the order, as in Python.
struct HPCEXEC_API Set {
    std::vector<Value> items;
    bool frozen = false;
    bool operator==(const Set&) const;
};

/// Where a part sits inside a value, for error messages: "value", "value[2]", "value[2].name", "value[(1, 2)]".
///
/// OWNERSHIP: a child path refers to its parent and to the dict key it names without copying them: build children
/// on the stack while descending (`ValuePath child = path.index(i);`) and never keep one beyond its parent.
/// THREAD: immutable.
class HPCEXEC_API ValuePath {
public:
    /// The root: "value".
    ValuePath() = default;
    /// The path of item `i` of a list, tuple or set below this one.
    ValuePath index(std::size_t i) const noexcept { return ValuePath(this, i, nullptr); }
    /// The path of the value stored under `key` in a dict below this one.
    ValuePath key(const Value& key) const noexcept { return ValuePath(this, 0, &key); }
    /// "value[2].name": identifier-like string keys are written `.key`, every other key `[repr(key)]`.
    std::string str() const;

private:
    ValuePath(const ValuePath* parent, std::size_t index, const Value* key) noexcept
        : parent_(parent), index_(index), key_(key) {}
    const ValuePath* parent_ = nullptr;
    std::size_t index_ = 0;
    const Value* key_ = nullptr;
};

/// How a C++ type T converts to and from Value. Specialize it for your own types with either or both of:
///
///     static Value to_value(const T& x);
///     static T from_value(const Value& v, const ValuePath& path);   // throws SerializationError naming `path`
///
/// The SDK provides it for bool, every integer type except the character types, float and double, std::string
/// (and std::string_view and const char*, to_value only), std::optional, std::vector, std::set, std::unordered_set,
/// std::map, std::unordered_map, std::pair and std::tuple (of convertible types), and std::nullopt_t (to_value only).
template <class T> struct ValueConversion;

/// True when T has a ValueConversion<T>::to_value, i.e. `Value v = T{...}` compiles.
template <class T>
concept ConvertibleToValue = requires(const T& x) {
    { ValueConversion<T>::to_value(x) } -> std::same_as<Value>;
};
/// True when T has a ValueConversion<T>::from_value, i.e. `v.to<T>()` compiles.
template <class T>
concept ConvertibleFromValue = requires(const Value& v, const ValuePath& path) {
    { ValueConversion<T>::from_value(v, path) } -> std::same_as<T>;
};

/// A tree of values. See the top of this file.
class HPCEXEC_API Value {
public:
    using Variant = std::variant<None, bool, std::int64_t, BigInt, double, std::string, Bytes, List, Tuple, Dict,
                                 Set, Opaque>;

    Value() : v_(None{}) {}
    Value(None n) : v_(n) {}
    Value(bool b) : v_(b) {}
    Value(double d) : v_(d) {}
    Value(const char* s) : v_(std::string(s)) {}
    Value(std::string s) : v_(std::move(s)) {}
    /// Stores the number as std::int64_t when it fits (see BigInt). Throws SerializationError when `b.decimal` is
    /// not an optional '-' followed by decimal digits.
    Value(BigInt b);
    Value(Bytes b) : v_(std::move(b)) {}
    Value(List l) : v_(std::move(l)) {}
    Value(Tuple t) : v_(std::move(t)) {}
    Value(Dict d) : v_(std::move(d)) {}
    Value(Set s) : v_(std::move(s)) {}
    Value(Opaque o) : v_(std::move(o)) {}
    /// Constructs alternative T from `args` as it is (used by conversions; a BigInt must go through Value(BigInt)).
    template <class T, class... Args>
        requires(!std::is_same_v<T, BigInt>)
    explicit Value(std::in_place_type_t<T> type, Args&&... args) : v_(type, std::forward<Args>(args)...) {}
    /// Any type with a ValueConversion: integers, std::vector<int>, std::map<std::string, double>, std::optional...
    template <class T>
        requires ConvertibleToValue<std::remove_cvref_t<T>>
    Value(T&& x) : Value(ValueConversion<std::remove_cvref_t<T>>::to_value(x)) {}

    const Variant& variant() const noexcept { return v_; }
    Variant& variant() noexcept { return v_; }

    /// True when the value holds alternative T (`is<std::int64_t>()`, `is<List>()`, `is<None>()`).
    template <class T> bool is() const noexcept { return std::holds_alternative<T>(v_); }
    bool is_none() const noexcept { return is<None>(); }
    /// The held alternative T, without conversion; throws SerializationError naming the expected and actual kinds.
    template <class T> const T& as() const;
    template <class T> T& as();

    /// Converts to a C++ type: `to<int>()` (range-checked), `to<double>()` (an int converts too),
    /// `to<std::vector<std::string>>()` (from a list, tuple or set), `to<std::map<K, V>>()` (from a dict),
    /// `to<std::optional<T>>()` (None gives nullopt), `to<List>()` or any other alternative (a copy).
    /// Throws SerializationError naming the path of the first part that does not convert.
    template <class T> T to() const { return to<T>(ValuePath{}); }
    /// Same, with the errors naming `path` as the place of this value.
    template <class T> T to(const ValuePath& path) const;

    /// "None", "bool", "int", "float", "str", "bytes", "list", "tuple", "dict", "set", "frozenset", or the opaque
    /// type's name.
    std::string kind_name() const;
    /// A short Python-like text of the value for messages: `'text'`, `b'\x00'`, `[1, 2]`, `(1,)`, `{'a': None}`,
    /// `<opaque fractions.Fraction>`; cut to about `max_length` characters with "...".
    std::string repr(std::size_t max_length = 60) const;

    /// Equality as Python sees it for values of the same kinds: dicts and sets compare without regard to order,
    /// NaN equals NaN (a value that went through a serializer and came back is "the same value"). Unlike Python,
    /// kinds must match: True != 1, 1 != 1.0, a list != a tuple, a set != a frozenset.
    bool operator==(const Value& other) const;

    /// A hash consistent with operator== (dicts and sets hash without regard to order).
    std::size_t hash() const noexcept;

private:
    [[noreturn]] void throw_wrong_kind(const char* expected, const ValuePath& path) const;
    Variant v_;
};

/// The offset of the first byte of `text` that is not valid UTF-8, or nullopt when all of it is valid.
/// With `allow_surrogates`, encoded UTF-16 surrogates (U+D800..U+DFFF) count as valid: Python writes a str holding
/// lone surrogates that way into a pickle ("surrogatepass"), and reading such a str must not fail.
HPCEXEC_API std::optional<std::size_t> find_invalid_utf8(std::string_view text, bool allow_surrogates = false);

namespace detail {

/// Kind names of the alternatives, for as<T>() errors.
template <class T> constexpr const char* alternative_name() {
    if constexpr (std::is_same_v<T, None>) return "None";
    else if constexpr (std::is_same_v<T, bool>) return "bool";
    else if constexpr (std::is_same_v<T, std::int64_t>) return "int (64-bit)";
    else if constexpr (std::is_same_v<T, BigInt>) return "int (beyond 64 bits)";
    else if constexpr (std::is_same_v<T, double>) return "float";
    else if constexpr (std::is_same_v<T, std::string>) return "str";
    else if constexpr (std::is_same_v<T, Bytes>) return "bytes";
    else if constexpr (std::is_same_v<T, List>) return "list";
    else if constexpr (std::is_same_v<T, Tuple>) return "tuple";
    else if constexpr (std::is_same_v<T, Dict>) return "dict";
    else if constexpr (std::is_same_v<T, Set>) return "set";
    else if constexpr (std::is_same_v<T, Opaque>) return "opaque object";
    else return "unknown kind";
}

template <class T, class Variant> struct is_alternative;
template <class T, class... Ts>
struct is_alternative<T, std::variant<Ts...>> : std::bool_constant<(std::is_same_v<T, Ts> || ...)> {};

/// Integers other than bool and the character types (a char is text, not a number).
template <class T>
concept Integer = std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                  !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> &&
                  !std::is_same_v<T, char32_t>;

/// The integer held by `v` if it lies in [min, max]; otherwise throws naming `path` and `cpp_type`.
HPCEXEC_API std::int64_t signed_from_value(const Value& v, const ValuePath& path, std::int64_t min,
                                           std::int64_t max, const char* cpp_type);
HPCEXEC_API std::uint64_t unsigned_from_value(const Value& v, const ValuePath& path, std::uint64_t max,
                                              const char* cpp_type);
HPCEXEC_API Value value_from_unsigned(std::uint64_t u);
HPCEXEC_API double double_from_value(const Value& v, const ValuePath& path);
/// Throws "<path>: expected <expected>, found <kind of v>".
[[noreturn]] HPCEXEC_API void throw_expected(const Value& v, const ValuePath& path, const char* expected);
/// Throws "<path>: expected <expected> of <count> items, found <actual_count>".
[[noreturn]] HPCEXEC_API void throw_wrong_length(const ValuePath& path, const char* expected, std::size_t count,
                                                 std::size_t actual_count);
/// The items of a list, tuple or set, or throws "expected a list, tuple or set".
HPCEXEC_API const std::vector<Value>& sequence_items(const Value& v, const ValuePath& path);
/// The items of a tuple or list, or throws "expected tuple".
HPCEXEC_API const std::vector<Value>& tuple_items(const Value& v, const ValuePath& path);

template <class Container> Value list_of(const Container& items) {
    List list;
    list.reserve(items.size());
    for (const auto& item : items) list.emplace_back(ValueConversion<typename Container::value_type>::to_value(item));
    return Value(std::move(list));
}
template <class Container> Value set_of(const Container& items) {
    Set set;
    set.items.reserve(items.size());
    for (const auto& item : items)
        set.items.emplace_back(ValueConversion<typename Container::value_type>::to_value(item));
    return Value(std::move(set));
}
template <class Map> Value dict_of(const Map& map) {
    Dict dict;
    dict.items.reserve(map.size());
    for (const auto& [key, value] : map)
        dict.items.emplace_back(ValueConversion<typename Map::key_type>::to_value(key),
                                ValueConversion<typename Map::mapped_type>::to_value(value));
    return Value(std::move(dict));
}
template <class Map> Map map_from(const Value& v, const ValuePath& path) {
    if (!v.is<Dict>()) throw_expected(v, path, "dict");
    Map map;
    for (const auto& [key, value] : v.as<Dict>().items) {
        ValuePath key_path = path.key(key);
        // Like building a Python dict: a later equal key replaces the earlier one.
        map.insert_or_assign(key.template to<typename Map::key_type>(key_path),
                             value.template to<typename Map::mapped_type>(key_path));
    }
    return map;
}

}  // namespace detail

// ---- Conversions provided by the SDK ------------------------------------------------------------------------------

template <> struct ValueConversion<bool> {
    static Value to_value(bool b) { return Value(b); }
    static bool from_value(const Value& v, const ValuePath& path) {
        if (!v.is<bool>()) detail::throw_expected(v, path, "bool");
        return v.as<bool>();
    }
};

template <detail::Integer T> struct ValueConversion<T> {
    static Value to_value(T x) {
        if constexpr (std::is_signed_v<T>) return Value(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(x));
        else return detail::value_from_unsigned(static_cast<std::uint64_t>(x));
    }
    static T from_value(const Value& v, const ValuePath& path) {
        if constexpr (std::is_signed_v<T>)
            return static_cast<T>(detail::signed_from_value(v, path, std::numeric_limits<T>::min(),
                                                            std::numeric_limits<T>::max(), type_name()));
        else
            return static_cast<T>(detail::unsigned_from_value(v, path, std::numeric_limits<T>::max(), type_name()));
    }
    static const char* type_name() {
        constexpr bool s = std::is_signed_v<T>;
        switch (sizeof(T)) {
            case 1: return s ? "a signed 8-bit integer" : "an unsigned 8-bit integer";
            case 2: return s ? "a signed 16-bit integer" : "an unsigned 16-bit integer";
            case 4: return s ? "a signed 32-bit integer" : "an unsigned 32-bit integer";
            default: return s ? "a signed 64-bit integer" : "an unsigned 64-bit integer";
        }
    }
};

template <std::floating_point T> struct ValueConversion<T> {
    static Value to_value(T x) { return Value(static_cast<double>(x)); }
    /// A float, or an int (converted like Python's float(); a float target may round).
    static T from_value(const Value& v, const ValuePath& path) {
        return static_cast<T>(detail::double_from_value(v, path));
    }
};

template <> struct ValueConversion<std::string> {
    static Value to_value(const std::string& s) { return Value(s); }
    static std::string from_value(const Value& v, const ValuePath& path) {
        if (!v.is<std::string>()) detail::throw_expected(v, path, "str");
        return v.as<std::string>();
    }
};

template <> struct ValueConversion<const char*> {
    static Value to_value(const char* s) { return Value(s); }
};

template <> struct ValueConversion<std::string_view> {
    static Value to_value(std::string_view s) { return Value(std::string(s)); }
};

template <> struct ValueConversion<std::nullopt_t> {
    static Value to_value(std::nullopt_t) { return Value(); }
};

template <class T> struct ValueConversion<std::optional<T>> {
    static Value to_value(const std::optional<T>& o)
        requires ConvertibleToValue<T>
    {
        return o ? ValueConversion<T>::to_value(*o) : Value();
    }
    static std::optional<T> from_value(const Value& v, const ValuePath& path)
        requires ConvertibleFromValue<T>
    {
        if (v.is_none()) return std::nullopt;
        return ValueConversion<T>::from_value(v, path);
    }
};

template <class T> struct ValueConversion<std::vector<T>> {
    static Value to_value(const std::vector<T>& items)
        requires ConvertibleToValue<T>
    {
        return detail::list_of(items);
    }
    /// From a list, a tuple or a set.
    static std::vector<T> from_value(const Value& v, const ValuePath& path)
        requires ConvertibleFromValue<T>
    {
        const auto& items = detail::sequence_items(v, path);
        std::vector<T> out;
        out.reserve(items.size());
        for (std::size_t i = 0; i < items.size(); ++i) out.push_back(items[i].template to<T>(path.index(i)));
        return out;
    }
};

template <class T, class Compare, class Alloc> struct ValueConversion<std::set<T, Compare, Alloc>> {
    using Type = std::set<T, Compare, Alloc>;
    static Value to_value(const Type& items)
        requires ConvertibleToValue<T>
    {
        return detail::set_of(items);
    }
    /// From a set, a list or a tuple (duplicates collapse).
    static Type from_value(const Value& v, const ValuePath& path)
        requires ConvertibleFromValue<T>
    {
        const auto& items = detail::sequence_items(v, path);
        Type out;
        for (std::size_t i = 0; i < items.size(); ++i) out.insert(items[i].template to<T>(path.index(i)));
        return out;
    }
};

template <class T, class Hash, class Eq, class Alloc> struct ValueConversion<std::unordered_set<T, Hash, Eq, Alloc>> {
    using Type = std::unordered_set<T, Hash, Eq, Alloc>;
    static Value to_value(const Type& items)
        requires ConvertibleToValue<T>
    {
        return detail::set_of(items);
    }
    static Type from_value(const Value& v, const ValuePath& path)
        requires ConvertibleFromValue<T>
    {
        const auto& items = detail::sequence_items(v, path);
        Type out;
        for (std::size_t i = 0; i < items.size(); ++i) out.insert(items[i].template to<T>(path.index(i)));
        return out;
    }
};

template <class K, class V, class Compare, class Alloc> struct ValueConversion<std::map<K, V, Compare, Alloc>> {
    using Type = std::map<K, V, Compare, Alloc>;
    static Value to_value(const Type& map)
        requires ConvertibleToValue<K> && ConvertibleToValue<V>
    {
        return detail::dict_of(map);
    }
    static Type from_value(const Value& v, const ValuePath& path)
        requires ConvertibleFromValue<K> && ConvertibleFromValue<V>
    {
        return detail::map_from<Type>(v, path);
    }
};

template <class K, class V, class Hash, class Eq, class Alloc>
struct ValueConversion<std::unordered_map<K, V, Hash, Eq, Alloc>> {
    using Type = std::unordered_map<K, V, Hash, Eq, Alloc>;
    static Value to_value(const Type& map)
        requires ConvertibleToValue<K> && ConvertibleToValue<V>
    {
        return detail::dict_of(map);
    }
    static Type from_value(const Value& v, const ValuePath& path)
        requires ConvertibleFromValue<K> && ConvertibleFromValue<V>
    {
        return detail::map_from<Type>(v, path);
    }
};

template <class... Ts> struct ValueConversion<std::tuple<Ts...>> {
    using Type = std::tuple<Ts...>;
    static Value to_value(const Type& t)
        requires(ConvertibleToValue<Ts> && ...)
    {
        return std::apply([](const Ts&... x) { return Value(Tuple{{ValueConversion<Ts>::to_value(x)...}}); }, t);
    }
    /// From a tuple or a list of exactly sizeof...(Ts) items.
    static Type from_value(const Value& v, const ValuePath& path)
        requires(ConvertibleFromValue<Ts> && ...)
    {
        const std::vector<Value>& items = detail::tuple_items(v, path);
        if (items.size() != sizeof...(Ts)) detail::throw_wrong_length(path, "a tuple", sizeof...(Ts), items.size());
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return Type{items[I].template to<Ts>(path.index(I))...};
        }(std::index_sequence_for<Ts...>{});
    }
};

template <class A, class B> struct ValueConversion<std::pair<A, B>> {
    using Type = std::pair<A, B>;
    static Value to_value(const Type& p)
        requires ConvertibleToValue<A> && ConvertibleToValue<B>
    {
        return Value(Tuple{{ValueConversion<A>::to_value(p.first), ValueConversion<B>::to_value(p.second)}});
    }
    static Type from_value(const Value& v, const ValuePath& path)
        requires ConvertibleFromValue<A> && ConvertibleFromValue<B>
    {
        auto [a, b] = ValueConversion<std::tuple<A, B>>::from_value(v, path);
        return Type{std::move(a), std::move(b)};
    }
};

// ---- Value's templates ----------------------------------------------------------------------------------------------

template <class T> const T& Value::as() const {
    static_assert(detail::is_alternative<T, Variant>::value, "as<T>() needs one of Value's alternatives; use to<T>()");
    if (const T* p = std::get_if<T>(&v_)) return *p;
    throw_wrong_kind(detail::alternative_name<T>(), ValuePath{});
}

template <class T> T& Value::as() {
    return const_cast<T&>(static_cast<const Value&>(*this).as<T>());
}

template <class T> T Value::to(const ValuePath& path) const {
    if constexpr (std::is_same_v<T, Value>) {
        return *this;
    } else if constexpr (ConvertibleFromValue<T>) {
        return ValueConversion<T>::from_value(*this, path);
    } else {
        static_assert(detail::is_alternative<T, Variant>::value,
                      "to<T>() needs a type with ValueConversion<T>::from_value or one of Value's alternatives");
        if (const T* p = std::get_if<T>(&v_)) return *p;
        throw_wrong_kind(detail::alternative_name<T>(), path);
    }
}

}  // namespace hpcexec
