// A plugin that provides a component name another plugin (test-good) already provides.
#include <hpcexec/plugin.hpp>

namespace {
std::unique_ptr<hpcexec::Component> make_nothing(const hpcexec::ComponentContext&) { return nullptr; }
}  // namespace

HPCEXEC_PLUGIN("test-duplicate", "0.0.1", HPCEXEC_COMPONENT(queue_system, "testqueue", make_nothing))
