// libFuzzer target for the pickle reader (and, through round trips, the writer). Built and run by tools/fuzz/run.sh.
//
// Any input may be rejected with SerializationError; anything else (a crash, a sanitizer report, another exception, a
// broken invariant below) is a finding. For an input that reads, the invariants are:
//   - writing the value and reading it back gives the same value, except that an opaque value's document may be
//     re-encoded (it is checked by the next two invariants instead);
//   - writing is a fixed point: write(read(write(v))) == write(v), byte for byte;
//   - every opaque value's document reads alone as one value.
#include "pickle_reader.hpp"
#include "pickle_writer.hpp"

#include <hpcexec/errors.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using hpcexec::Value;

// The value with every opaque document emptied, so that values compare by structure and type names only.
Value without_documents(const Value& v) {
    if (v.is<hpcexec::Opaque>()) {
        auto opaque = v.as<hpcexec::Opaque>();
        opaque.data.clear();
        return opaque;
    }
    auto each = [](const std::vector<Value>& items) {
        std::vector<Value> out;
        for (const auto& item : items) out.push_back(without_documents(item));
        return out;
    };
    if (v.is<hpcexec::List>()) return Value(each(v.as<hpcexec::List>()));
    if (v.is<hpcexec::Tuple>()) return Value(hpcexec::Tuple{each(v.as<hpcexec::Tuple>().items)});
    if (v.is<hpcexec::Set>()) return Value(hpcexec::Set{each(v.as<hpcexec::Set>().items), v.as<hpcexec::Set>().frozen});
    if (v.is<hpcexec::Dict>()) {
        hpcexec::Dict out;
        for (const auto& [key, item] : v.as<hpcexec::Dict>().items)
            out.items.emplace_back(without_documents(key), without_documents(item));
        return Value(std::move(out));
    }
    return v;
}

void check_documents(const Value& v, const hpcexec::pickle::ReadOptions& options) {
    if (v.is<hpcexec::Opaque>()) {
        hpcexec::pickle::read_pickle(v.as<hpcexec::Opaque>().data, options);  // throws (a finding) if broken
        return;
    }
    const std::vector<Value>* items = v.is<hpcexec::List>()    ? &v.as<hpcexec::List>()
                                      : v.is<hpcexec::Tuple>() ? &v.as<hpcexec::Tuple>().items
                                      : v.is<hpcexec::Set>()   ? &v.as<hpcexec::Set>().items
                                                               : nullptr;
    if (items)
        for (const auto& item : *items) check_documents(item, options);
    if (v.is<hpcexec::Dict>())
        for (const auto& [key, item] : v.as<hpcexec::Dict>().items) {
            check_documents(key, options);
            check_documents(item, options);
        }
}

[[noreturn]] void finding(const char* what, const std::string& detail) {
    std::fprintf(stderr, "pickle_fuzz: %s: %s\n", what, detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hpcexec::pickle::ReadOptions options;
    // Well below libFuzzer's RSS limit, and small enough that an input whose memo references multiply into a large
    // value (bounded by this budget) still runs its five passes under the sanitizers in a few seconds.
    options.max_memory = 16 << 20;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    Value value;
    try {
        value = hpcexec::pickle::read_pickle(input, options);
    } catch (const hpcexec::SerializationError&) {
        return 0;  // rejected cleanly
    }
    // The protocol to write with comes from the input, so that all four get exercised.
    int protocol = 2 + static_cast<int>(size % 4);
    std::string written;
    try {
        written = hpcexec::pickle::write_pickle(value, {protocol});
    } catch (const hpcexec::SerializationError&) {
        return 0;  // a value Python could not read either (an unhashable key, text that is not UTF-8)
    }
    // Reading the written form needs more memory than reading a form that shares objects through the memo (the
    // writer shares nothing): allow for that.
    hpcexec::pickle::ReadOptions roundtrip = options;
    roundtrip.max_memory = 8 * options.max_memory;
    try {
        Value again = hpcexec::pickle::read_pickle(written, roundtrip);
        if (!(without_documents(again) == without_documents(value)))
            finding("round trip changed the value", value.repr(200) + " became " + again.repr(200));
        if (hpcexec::pickle::write_pickle(again, {protocol}) != written)
            finding("writing is not a fixed point", value.repr(200));
        check_documents(value, roundtrip);
    } catch (const hpcexec::SerializationError& e) {
        finding("reading what the writer wrote failed", e.what());
    }
    return 0;
}
