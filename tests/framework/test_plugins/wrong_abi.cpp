// A plugin built against a future ABI: only abi_version may be read. Everything else points nowhere useful, so a
// kernel that reads past the version would crash the test.
#include <hpcexec/plugin.hpp>

#include <cstdint>

extern "C" __attribute__((visibility("default"))) const hpcexec::plugin::PluginDescriptor* hpcexec_plugin_descriptor() {
    static const hpcexec::plugin::PluginDescriptor descriptor{hpcexec::plugin::abi_version + 41, nullptr, nullptr,
                                                              reinterpret_cast<const hpcexec::plugin::ComponentDescriptor*>(std::uintptr_t{8}),
                                                              std::size_t{1} << 40};
    return &descriptor;
}
