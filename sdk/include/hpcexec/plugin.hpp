// The plugin ABI: how a shared library tells the kernel which components it provides.
//
// A plugin library exports exactly one symbol, `hpcexec_plugin_descriptor`, written by HPCEXEC_PLUGIN:
//
//     #include <hpcexec/plugin.hpp>
//     static std::unique_ptr<hpcexec::Component> make_my_queue(const hpcexec::ComponentContext& ctx) { ... }
//     HPCEXEC_PLUGIN("my-queue", "1.2.0",
//                    HPCEXEC_COMPONENT(queue_system, "myqueue", make_my_queue))
//
// and is built with the CMake function hpcexec_add_plugin(<target> SOURCES ...).
// The kernel loads it with RTLD_NOW | RTLD_LOCAL, calls the entry point (which must do nothing but return a pointer
// to static data), reads `abi_version` before anything else, and refuses the library unless it equals
// hpcexec::plugin::abi_version. It calls a factory only when a configuration asks for that component.
#pragma once

#include <hpcexec/component.hpp>
#include <hpcexec/connector.hpp>
#include <hpcexec/export.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>
#include <spdlog/logger.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <string>

namespace hpcexec {

/// What a factory receives to create one component.
///
/// OWNERSHIP: owned by the kernel; valid only during the factory call. A component copies what it keeps
/// (the executor, the logger, the shared connector pointer).
struct ComponentContext {
    /// The component's name as configured ("slurm", "local").
    std::string name;
    /// The key path of the component's configuration section, for ConfigError ("queue_system.slurm").
    std::string config_path;
    /// The component's configuration section (an object; an empty object when the user gave `{}` or nothing).
    /// Factories validate it with ConfigReader and reject unknown keys.
    const boost::json::value& config;
    /// The kernel's event loop. Components do all their I/O on it and never start threads of their own for I/O.
    boost::asio::any_io_executor executor;
    /// The component's logger ("hpcexec.<name>").
    std::shared_ptr<spdlog::logger> logger;
    /// The connector of the executor that asked for this component (queue systems and runners run their commands
    /// through it); null when creating a connector.
    std::shared_ptr<Connector> connector;
    /// The configured cluster name; may be empty.
    std::string cluster_name;
};

namespace plugin {

/// The version of this ABI (the interfaces' vtables, the context and the descriptor). A library built against
/// another version is refused with both numbers in the message.
inline constexpr std::uint32_t abi_version = 1;

/// The name of the one symbol every plugin exports.
inline constexpr const char* entry_point_name = "hpcexec_plugin_descriptor";

/// The four kinds of component the kernel knows.
enum class ComponentKind : std::uint32_t { connector = 1, queue_system = 2, serializer = 3, checkpoint_store = 4 };

/// "connector", "queue_system", "serializer", "checkpoint_store"; "unknown" for anything else.
HPCEXEC_API const char* to_string(ComponentKind kind) noexcept;

/// Creates one component. Runs on the thread that asked for the component (never the event loop thread).
/// Returns an object of the interface matching the descriptor's kind; throws ConfigError for a bad configuration
/// (with the key path) or any std::exception for other failures: the kernel reports the message with the plugin's
/// file and the component's name.
using Factory = std::unique_ptr<Component> (*)(const ComponentContext& context);

/// One component a library provides.
struct ComponentDescriptor {
    ComponentKind kind;
    /// The name configurations use to choose it (unique per kind across all loaded libraries).
    const char* name;
    Factory factory;
};

/// What the entry point returns. Static data inside the library: the kernel never frees it.
/// LAYOUT: the first member stays `std::uint32_t abi_version` in every future ABI so that any kernel can read it.
struct PluginDescriptor {
    std::uint32_t abi_version;
    /// The library's name and version, shown by `hpcexec plugins` ("hpcexec-slurm", "0.1.0").
    const char* name;
    const char* version;
    const ComponentDescriptor* components;
    std::size_t component_count;
};

using EntryPoint = const PluginDescriptor* (*)();

}  // namespace plugin
}  // namespace hpcexec

/// One component inside HPCEXEC_PLUGIN: KIND is connector, queue_system, serializer or checkpoint_store.
#define HPCEXEC_COMPONENT(KIND, NAME, FACTORY) \
    ::hpcexec::plugin::ComponentDescriptor { ::hpcexec::plugin::ComponentKind::KIND, NAME, &FACTORY }

/// Writes the library's one exported entry point. Use once per plugin library, at namespace scope.
#define HPCEXEC_PLUGIN(PLUGIN_NAME, PLUGIN_VERSION, ...)                                                         \
    extern "C" __attribute__((visibility("default"))) const ::hpcexec::plugin::PluginDescriptor*                 \
    hpcexec_plugin_descriptor() {                                                                                 \
        static const ::hpcexec::plugin::ComponentDescriptor hpcexec_components[] = {__VA_ARGS__};                 \
        static const ::hpcexec::plugin::PluginDescriptor hpcexec_descriptor{                                      \
            ::hpcexec::plugin::abi_version, PLUGIN_NAME, PLUGIN_VERSION, hpcexec_components,                      \
            std::size(hpcexec_components)};                                                                       \
        return &hpcexec_descriptor;                                                                               \
    }
