// A checkpoint store that keeps every record in one JSON file: a small, complete example of a third-party plugin.
// (For real work use the built-in `sqlite` or `dir` stores: this one serializes writers of one process only.)
#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/plugin.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace {

namespace json = boost::json;

// Records are binary (a pickle, say) and JSON strings are text: data is kept as hex.
std::string to_hex(const std::string& data) {
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : data) {
        hex += digits[c >> 4];
        hex += digits[c & 15];
    }
    return hex;
}

std::optional<std::string> from_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    if (hex.size() % 2) return std::nullopt;
    std::string data;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int high = nibble(hex[i]), low = nibble(hex[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        data += static_cast<char>(high * 16 + low);
    }
    return data;
}

class JsonFileStore final : public hpcexec::CheckpointStore {
public:
    explicit JsonFileStore(std::filesystem::path path) : path_(std::move(path)) {}

    std::string describe() const override { return "jsonfile:" + path_.string(); }

    std::optional<hpcexec::CheckpointRecord> get(const std::string& key) override {
        std::lock_guard lock(mutex_);
        auto records = load();
        const auto* record = records.if_contains(key);
        if (!record) return std::nullopt;
        return to_record(key, *record);
    }

    void put(const std::string& key, const std::string& data) override {
        std::lock_guard lock(mutex_);
        auto records = load();
        std::uint64_t version = 1;
        if (const auto* old = records.if_contains(key)) version = to_record(key, *old).version + 1;
        records[key] = json::object{{"data", to_hex(data)}, {"version", version}};
        save(records);
    }

    bool compare_and_set(const std::string& key, std::optional<std::uint64_t> expected,
                         const std::string& data) override {
        std::lock_guard lock(mutex_);
        auto records = load();
        const auto* old = records.if_contains(key);
        std::optional<std::uint64_t> current;
        if (old) current = to_record(key, *old).version;
        if (current != expected) return false;
        records[key] = json::object{{"data", to_hex(data)}, {"version", current.value_or(0) + 1}};
        save(records);
        return true;
    }

    std::vector<std::string> list(const std::string& prefix) override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> keys;
        for (const auto& member : load()) {
            if (member.key().starts_with(prefix)) keys.emplace_back(member.key());
        }
        std::sort(keys.begin(), keys.end());
        return keys;
    }

    bool erase(const std::string& key) override {
        std::lock_guard lock(mutex_);
        auto records = load();
        if (!records.erase(key)) return false;
        save(records);
        return true;
    }

private:
    [[noreturn]] void fail(const std::string& key, const std::string& reason) const {
        throw hpcexec::CheckpointError("checkpoint store " + describe() + (key.empty() ? "" : ": key '" + key + "'") +
                                       ": " + reason);
    }

    // Records are {"data": <hex>, "version": n}.
    hpcexec::CheckpointRecord to_record(const std::string& key, const json::value& value) const {
        const auto* object = value.if_object();
        if (!object || !object->contains("data") || !object->at("data").is_string() || !object->contains("version"))
            fail(key, "corrupt record");
        auto data = from_hex(std::string_view(object->at("data").get_string()));
        if (!data) fail(key, "corrupt record (data is not hex)");
        return {std::move(*data), object->at("version").to_number<std::uint64_t>()};
    }

    json::object load() const {
        std::ifstream in(path_, std::ios::binary);
        if (!in) return {};
        std::stringstream text;
        text << in.rdbuf();
        boost::system::error_code ec;
        auto parsed = json::parse(text.str(), ec);
        if (ec || !parsed.is_object()) fail("", "the file is not a JSON object");
        return parsed.get_object();
    }

    // Written to a temporary file and renamed, so a crash never leaves half a file.
    void save(const json::object& records) const {
        auto tmp = path_;
        tmp += ".tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            if (!out) fail("", "cannot write " + tmp.string());
            out << json::serialize(records);
        }
        std::error_code ec;
        std::filesystem::rename(tmp, path_, ec);
        if (ec) fail("", "cannot replace the file: " + ec.message());
    }

    std::filesystem::path path_;
    std::mutex mutex_;
};

std::unique_ptr<hpcexec::Component> make_store(const hpcexec::ComponentContext& context) {
    hpcexec::ConfigReader options(context.config, context.config_path);
    auto path = options.string("path");
    options.finish();
    if (!path) throw hpcexec::ConfigError(options.path_of("path"), "required (the JSON file holding the records)");
    return std::make_unique<JsonFileStore>(*path);
}

}  // namespace

HPCEXEC_PLUGIN("jsonfile-store-sample", "1.0.0", HPCEXEC_COMPONENT(checkpoint_store, "jsonfile", make_store))
