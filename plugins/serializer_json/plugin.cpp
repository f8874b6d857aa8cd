// The "json" serializer: Values as JSON text (application/json), for tools and services that do not speak pickle.
// The mapping, and what JSON cannot hold, are described in hpcexec/value_json.hpp.
//
// Configuration (optional):
//   max_depth: the deepest nesting read or written (default 1000)
#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/plugin.hpp>
#include <hpcexec/serializer.hpp>
#include <hpcexec/value_json.hpp>

#include <boost/json.hpp>

namespace {

class JsonSerializer : public hpcexec::Serializer {
public:
    explicit JsonSerializer(std::size_t max_depth) : max_depth_(max_depth) {}
    std::string name() const override { return "json"; }
    std::string media_type() const override { return "application/json"; }

    std::string serialize(const hpcexec::Value& value) const override {
        try {
            return boost::json::serialize(hpcexec::to_json(value, max_depth_));
        } catch (const hpcexec::SerializationError& e) {
            throw hpcexec::SerializationError(std::string("json: ") + e.what());
        }
    }

    hpcexec::Value deserialize(std::string_view bytes) const override {
        boost::json::parse_options options;
        options.max_depth = max_depth_;
        boost::json::parser parser(boost::json::storage_ptr(), options);
        boost::system::error_code error;
        // write() parses one complete text, stops at the first error and tells how far it got: the offset to report.
        std::size_t used = parser.write(bytes.data(), bytes.size(), error);
        if (error)
            throw hpcexec::SerializationError("json: offset " + std::to_string(used) + ": " + error.message());
        if (used != bytes.size())
            throw hpcexec::SerializationError("json: offset " + std::to_string(used) +
                                              ": unexpected data after the JSON text");
        try {
            return hpcexec::from_json(parser.release(), max_depth_);
        } catch (const hpcexec::SerializationError& e) {
            throw hpcexec::SerializationError(std::string("json: ") + e.what());
        }
    }

private:
    std::size_t max_depth_;
};

std::unique_ptr<hpcexec::Component> make_json(const hpcexec::ComponentContext& context) {
    hpcexec::ConfigReader config(context.config, context.config_path);
    auto max_depth = static_cast<std::size_t>(config.integer("max_depth", 1, 100000).value_or(1000));
    config.finish();
    return std::make_unique<JsonSerializer>(max_depth);
}

}  // namespace

HPCEXEC_PLUGIN("hpcexec-serializer-json", "0.1.0", HPCEXEC_COMPONENT(serializer, "json", make_json))
