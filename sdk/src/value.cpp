#include <hpcexec/errors.hpp>
#include <hpcexec/value.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <unordered_map>

namespace hpcexec {
namespace {

constexpr std::string_view int64_max_digits = "9223372036854775807";
constexpr std::string_view int64_min_digits = "9223372036854775808";  // without the sign
constexpr std::string_view uint64_max_digits = "18446744073709551615";

// Compares two runs of decimal digits without leading zeros as numbers.
bool digits_at_most(std::string_view digits, std::string_view limit) {
    if (digits.size() != limit.size()) return digits.size() < limit.size();
    return digits <= limit;
}

// Equality of two sequences as multisets: dicts and sets compare like Python's, whatever the order.
// Fast path for the common case (same order, e.g. a value compared with itself after a round trip); otherwise
// bucket `b` by hash so that the comparison stays linear.
template <class T, class Hash>
bool unordered_equal(const std::vector<T>& a, const std::vector<T>& b, Hash hash) {
    if (a.size() != b.size()) return false;
    if (a == b) return true;
    std::unordered_multimap<std::size_t, std::size_t> buckets;
    buckets.reserve(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) buckets.emplace(hash(b[i]), i);
    std::vector<bool> used(b.size(), false);
    for (const auto& item : a) {
        auto [first, last] = buckets.equal_range(hash(item));
        bool found = false;
        for (auto it = first; it != last && !found; ++it) {
            if (!used[it->second] && b[it->second] == item) {
                used[it->second] = true;
                found = true;
            }
        }
        if (!found) return false;
    }
    return true;
}

std::size_t mix(std::size_t seed, std::size_t h) {
    return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

std::size_t pair_hash(const std::pair<Value, Value>& item) { return mix(item.first.hash(), item.second.hash()); }
std::size_t item_hash(const Value& item) { return item.hash(); }

// Python's repr of a str or bytes body, between single quotes.
void append_quoted(std::string& out, std::string_view text, bool is_bytes) {
    out += is_bytes ? "b'" : "'";
    for (unsigned char c : text) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\'': out += "\\'"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                // UTF-8 sequences of a str print as they are; bytes outside printable ASCII print as \xNN.
                if (c < 0x20 || c == 0x7f || (is_bytes && c >= 0x80)) {
                    constexpr char hex[] = "0123456789abcdef";
                    out += "\\x";
                    out += hex[c >> 4];
                    out += hex[c & 15];
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '\'';
}

// Writes the repr of `value` into `out`, stopping early once `out` is longer than `limit` (the caller cuts it).
void append_repr(std::string& out, const Value& value, std::size_t limit) {
    if (out.size() > limit) return;
    auto sequence = [&](const std::vector<Value>& items, const char* open, const char* close, bool one_comma) {
        out += open;
        for (std::size_t i = 0; i < items.size() && out.size() <= limit; ++i) {
            if (i) out += ", ";
            append_repr(out, items[i], limit);
        }
        if (one_comma && items.size() == 1) out += ',';
        out += close;
    };
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, None>) out += "None";
            else if constexpr (std::is_same_v<T, bool>) out += x ? "True" : "False";
            else if constexpr (std::is_same_v<T, std::int64_t>) out += std::to_string(x);
            else if constexpr (std::is_same_v<T, BigInt>) out += x.decimal;
            else if constexpr (std::is_same_v<T, double>) {
                char buffer[64];
                auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
                std::string_view text(buffer, static_cast<std::size_t>(result.ptr - buffer));
                out += text;
                // Python writes integral floats with ".0" ("1.0"); to_chars writes "1".
                if (text.find_first_of(".eninf") == std::string_view::npos) out += ".0";
            } else if constexpr (std::is_same_v<T, std::string>) append_quoted(out, x, false);
            else if constexpr (std::is_same_v<T, Bytes>) append_quoted(out, x.data, true);
            else if constexpr (std::is_same_v<T, List>) sequence(x, "[", "]", false);
            else if constexpr (std::is_same_v<T, Tuple>) sequence(x.items, "(", ")", true);
            else if constexpr (std::is_same_v<T, Set>) {
                if (x.items.empty()) out += x.frozen ? "frozenset()" : "set()";
                else if (x.frozen) sequence(x.items, "frozenset({", "})", false);
                else sequence(x.items, "{", "}", false);
            } else if constexpr (std::is_same_v<T, Dict>) {
                out += '{';
                for (std::size_t i = 0; i < x.items.size() && out.size() <= limit; ++i) {
                    if (i) out += ", ";
                    append_repr(out, x.items[i].first, limit);
                    out += ": ";
                    append_repr(out, x.items[i].second, limit);
                }
                out += '}';
            } else {
                out += "<opaque " + x.type_name + ">";
            }
        },
        value.variant());
}

bool is_identifier(std::string_view s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string describe_kind(const Value& v) {
    if (v.is<Opaque>()) return "an opaque " + v.as<Opaque>().type_name + " (an object the serializer could not decode)";
    return v.kind_name();
}

}  // namespace

bool Tuple::operator==(const Tuple& other) const { return items == other.items; }
bool Dict::operator==(const Dict& other) const { return unordered_equal(items, other.items, pair_hash); }
bool Set::operator==(const Set& other) const {
    return frozen == other.frozen && unordered_equal(items, other.items, item_hash);
}

const Value* Dict::find(const Value& key) const {
    for (const auto& [k, v] : items)
        if (k == key) return &v;
    return nullptr;
}

Value::Value(BigInt b) {
    std::string_view text = b.decimal;
    bool negative = !text.empty() && text[0] == '-';
    std::string_view digits = text.substr(negative ? 1 : 0);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        throw SerializationError("invalid integer text '" + b.decimal + "' (expected an optional '-' and digits)");
    digits.remove_prefix(std::min(digits.find_first_not_of('0'), digits.size() - 1));
    if (digits_at_most(digits, negative ? int64_min_digits : int64_max_digits)) {
        // Fits: the one representation of this number is std::int64_t. Accumulate negatively so that INT64_MIN works.
        std::int64_t n = 0;
        for (char c : digits) n = n * 10 - (c - '0');
        v_ = negative ? n : -n;
    } else {
        v_ = BigInt{(negative ? "-" : "") + std::string(digits)};
    }
}

bool Value::operator==(const Value& other) const {
    if (is<double>() && other.is<double>()) {
        double a = std::get<double>(v_), b = std::get<double>(other.v_);
        return a == b || (std::isnan(a) && std::isnan(b));
    }
    return v_ == other.v_;
}

std::size_t Value::hash() const noexcept {
    std::size_t seed = v_.index();
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, None>) {
            } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::int64_t>) {
                seed = mix(seed, std::hash<T>{}(x));
            } else if constexpr (std::is_same_v<T, double>) {
                // Equal values hash equally: every NaN alike, and 0.0 like -0.0.
                seed = mix(seed, std::isnan(x) ? 0x7ff8u : std::hash<double>{}(x == 0.0 ? 0.0 : x));
            } else if constexpr (std::is_same_v<T, BigInt>) {
                seed = mix(seed, std::hash<std::string>{}(x.decimal));
            } else if constexpr (std::is_same_v<T, std::string>) {
                seed = mix(seed, std::hash<std::string>{}(x));
            } else if constexpr (std::is_same_v<T, Bytes>) {
                seed = mix(seed, std::hash<std::string>{}(x.data));
            } else if constexpr (std::is_same_v<T, List>) {
                for (const auto& item : x) seed = mix(seed, item.hash());
            } else if constexpr (std::is_same_v<T, Tuple>) {
                for (const auto& item : x.items) seed = mix(seed, item.hash());
            } else if constexpr (std::is_same_v<T, Dict>) {
                std::size_t sum = 0;  // a sum does not depend on the order
                for (const auto& item : x.items) sum += pair_hash(item);
                seed = mix(seed, sum);
            } else if constexpr (std::is_same_v<T, Set>) {
                std::size_t sum = x.frozen;
                for (const auto& item : x.items) sum += item.hash();
                seed = mix(seed, sum);
            } else {
                seed = mix(seed, std::hash<std::string>{}(x.data));
            }
        },
        v_);
    return seed;
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
            else if constexpr (std::is_same_v<T, Set>) return alternative.frozen ? "frozenset" : "set";
            else return alternative.type_name;
        },
        v_);
}

std::string Value::repr(std::size_t max_length) const {
    std::string out;
    append_repr(out, *this, max_length);
    if (out.size() > max_length) {
        out.resize(max_length);
        out += "...";
    }
    return out;
}

void Value::throw_wrong_kind(const char* expected, const ValuePath& path) const {
    detail::throw_expected(*this, path, expected);
}

std::string ValuePath::str() const {
    std::vector<const ValuePath*> chain;
    for (const ValuePath* p = this; p->parent_; p = p->parent_) chain.push_back(p);
    std::string out = "value";
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const ValuePath& p = **it;
        if (!p.key_) out += "[" + std::to_string(p.index_) + "]";
        else if (p.key_->is<std::string>() && is_identifier(p.key_->as<std::string>()))
            out += "." + p.key_->as<std::string>();
        else out += "[" + p.key_->repr(40) + "]";
    }
    return out;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view text, bool allow_surrogates) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    auto continuation = [&](std::size_t at) { return at < n && (s[at] & 0xC0) == 0x80; };
    for (std::size_t i = 0; i < n;) {
        unsigned char c = s[i];
        std::size_t length;
        // The allowed range of the second byte rules out overlong forms, code points above U+10FFFF and (unless
        // allowed) the surrogates U+D800..U+DFFF.
        unsigned char low = 0x80, high = 0xBF;
        if (c < 0x80) length = 1;
        else if (c >= 0xC2 && c <= 0xDF) length = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0) low = 0xA0;
            if (c == 0xED && !allow_surrogates) high = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0) low = 0x90;
            if (c == 0xF4) high = 0x8F;
        } else {
            return i;
        }
        if (length > 1 && (i + 1 >= n || s[i + 1] < low || s[i + 1] > high)) return i;
        for (std::size_t k = 2; k < length; ++k)
            if (!continuation(i + k)) return i;
        i += length;
    }
    return std::nullopt;
}

namespace detail {

void throw_expected(const Value& v, const ValuePath& path, const char* expected) {
    throw SerializationError(path.str() + ": expected " + expected + ", found " + describe_kind(v));
}

void throw_wrong_length(const ValuePath& path, const char* expected, std::size_t count, std::size_t actual_count) {
    throw SerializationError(path.str() + ": expected " + expected + " of " + std::to_string(count) +
                             " items, found " + std::to_string(actual_count) + " items");
}

const std::vector<Value>& sequence_items(const Value& v, const ValuePath& path) {
    if (v.is<List>()) return v.as<List>();
    if (v.is<Tuple>()) return v.as<Tuple>().items;
    if (v.is<Set>()) return v.as<Set>().items;
    throw_expected(v, path, "a list, tuple or set");
}

const std::vector<Value>& tuple_items(const Value& v, const ValuePath& path) {
    if (v.is<Tuple>()) return v.as<Tuple>().items;
    if (v.is<List>()) return v.as<List>();
    throw_expected(v, path, "tuple");
}

std::int64_t signed_from_value(const Value& v, const ValuePath& path, std::int64_t min, std::int64_t max,
                               const char* cpp_type) {
    if (!v.is<std::int64_t>() && !v.is<BigInt>()) throw_expected(v, path, "int");
    if (v.is<std::int64_t>() && v.as<std::int64_t>() >= min && v.as<std::int64_t>() <= max)
        return v.as<std::int64_t>();
    throw SerializationError(path.str() + ": int " + v.repr() + " does not fit in " + cpp_type);
}

std::uint64_t unsigned_from_value(const Value& v, const ValuePath& path, std::uint64_t max, const char* cpp_type) {
    if (!v.is<std::int64_t>() && !v.is<BigInt>()) throw_expected(v, path, "int");
    std::optional<std::uint64_t> n;
    if (v.is<std::int64_t>()) {
        if (v.as<std::int64_t>() >= 0) n = static_cast<std::uint64_t>(v.as<std::int64_t>());
    } else if (const auto& digits = v.as<BigInt>().decimal;
               digits[0] != '-' && digits_at_most(digits, uint64_max_digits)) {
        std::uint64_t parsed = 0;
        std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
        n = parsed;
    }
    if (!n || *n > max) throw SerializationError(path.str() + ": int " + v.repr() + " does not fit in " + cpp_type);
    return *n;
}

Value value_from_unsigned(std::uint64_t u) {
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return Value(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(u));
    return Value(BigInt{std::to_string(u)});
}

double double_from_value(const Value& v, const ValuePath& path) {
    if (v.is<double>()) return v.as<double>();
    if (v.is<std::int64_t>()) return static_cast<double>(v.as<std::int64_t>());
    if (v.is<BigInt>()) {
        double d = std::strtod(v.as<BigInt>().decimal.c_str(), nullptr);
        if (std::isinf(d)) throw SerializationError(path.str() + ": int " + v.repr() + " is too large for a float");
        return d;
    }
    throw_expected(v, path, "float");
}

}  // namespace detail
}  // namespace hpcexec
