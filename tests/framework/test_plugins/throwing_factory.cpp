// A plugin whose factory throws: the kernel must report the message with the file and the component.
#include <hpcexec/plugin.hpp>

#include <stdexcept>

namespace {
std::unique_ptr<hpcexec::Component> make_broken(const hpcexec::ComponentContext&) {
    throw std::runtime_error("cannot reach the license server");
}
}  // namespace

HPCEXEC_PLUGIN("test-throwing", "0.0.1", HPCEXEC_COMPONENT(checkpoint_store, "broken", make_broken))
