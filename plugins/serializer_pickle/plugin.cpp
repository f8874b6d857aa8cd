// The "pickle" serializer: Values as Python pickles, for the Python runner and anything else that talks to Python.
//
// Configuration (all optional):
//   protocol:      2 to 5, the protocol written (default 4, which every Python from 3.4 on reads; reading accepts
//                  protocols 0 to 5 whatever this says)
//   max_depth:     the deepest nesting read or written (default 1000, like Python's recursion limit)
//   max_memory_mb: the memory that decoding one pickle may use (default 1024)
//   allow_opaque:  when false, an object that cannot be decoded is an error instead of an Opaque value (default true)
#include "pickle_opcodes.hpp"
#include "pickle_reader.hpp"
#include "pickle_writer.hpp"

#include <hpcexec/config_reader.hpp>
#include <hpcexec/plugin.hpp>
#include <hpcexec/serializer.hpp>

namespace {

class PickleSerializer : public hpcexec::Serializer {
public:
    PickleSerializer(hpcexec::pickle::WriteOptions write, hpcexec::pickle::ReadOptions read)
        : write_(write), read_(read) {}
    std::string name() const override { return "pickle"; }
    std::string media_type() const override { return "application/python-pickle"; }
    std::string serialize(const hpcexec::Value& value) const override {
        return hpcexec::pickle::write_pickle(value, write_);
    }
    hpcexec::Value deserialize(std::string_view bytes) const override {
        return hpcexec::pickle::read_pickle(bytes, read_);
    }

private:
    hpcexec::pickle::WriteOptions write_;
    hpcexec::pickle::ReadOptions read_;
};

std::unique_ptr<hpcexec::Component> make_pickle(const hpcexec::ComponentContext& context) {
    hpcexec::ConfigReader config(context.config, context.config_path);
    hpcexec::pickle::WriteOptions write;
    hpcexec::pickle::ReadOptions read;
    write.protocol = static_cast<int>(config.integer("protocol", hpcexec::pickle::lowest_write_protocol,
                                                     hpcexec::pickle::highest_protocol)
                                          .value_or(hpcexec::pickle::default_protocol));
    read.max_depth = write.max_depth =
        static_cast<std::size_t>(config.integer("max_depth", 1, 100000).value_or(1000));
    read.max_memory = static_cast<std::size_t>(config.integer("max_memory_mb", 1, 1024 * 1024).value_or(1024)) *
                      1024 * 1024;
    read.allow_opaque = config.boolean("allow_opaque", true);
    config.finish();
    return std::make_unique<PickleSerializer>(write, read);
}

}  // namespace

HPCEXEC_PLUGIN("hpcexec-serializer-pickle", "0.1.0", HPCEXEC_COMPONENT(serializer, "pickle", make_pickle))
