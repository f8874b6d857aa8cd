// A plugin that needs a symbol nobody defines: loading with RTLD_NOW must fail, and say which symbol.
#include <hpcexec/plugin.hpp>

extern "C" int hpcexec_test_symbol_that_nobody_defines();

namespace {
std::unique_ptr<hpcexec::Component> make_unresolved(const hpcexec::ComponentContext&) {
    hpcexec_test_symbol_that_nobody_defines();
    return nullptr;
}
}  // namespace

HPCEXEC_PLUGIN("test-unresolved", "0.0.1", HPCEXEC_COMPONENT(serializer, "unresolved", make_unresolved))
