// A plugin whose factory returns a serializer where its descriptor promised a connector.
#include <hpcexec/plugin.hpp>
#include <hpcexec/serializer.hpp>

namespace {
class NotAConnector : public hpcexec::Serializer {
public:
    std::string name() const override { return "x"; }
    std::string media_type() const override { return "x"; }
    std::string serialize(const hpcexec::Value&) const override { return {}; }
    hpcexec::Value deserialize(std::string_view) const override { return {}; }
};
std::unique_ptr<hpcexec::Component> make_wrong(const hpcexec::ComponentContext&) {
    return std::make_unique<NotAConnector>();
}
}  // namespace

HPCEXEC_PLUGIN("test-wrong-kind", "0.0.1", HPCEXEC_COMPONENT(connector, "wrongkind", make_wrong))
