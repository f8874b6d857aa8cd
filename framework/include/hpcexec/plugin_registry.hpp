// PluginRegistry: loads plugin libraries with Boost.DLL and creates the components they provide.
#pragma once

#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/connector.hpp>
#include <hpcexec/export.hpp>
#include <hpcexec/plugin.hpp>
#include <hpcexec/queue_system.hpp>
#include <hpcexec/serializer.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hpcexec {

/// What `hpcexec plugins` shows of one loaded library.
struct LoadedPluginInfo {
    std::filesystem::path file;
    std::string name;
    std::string version;
    std::vector<std::pair<plugin::ComponentKind, std::string>> components;
};

/// Loads plugin libraries and creates components by kind and name.
///
/// Search order for load_search_path(): the directories given by the configuration (`plugin_dirs`), then each
/// directory of HPCEXEC_PLUGIN_PATH (colon-separated), then the install's plugin directory (found relative to the
/// framework library itself, so an installed tree can be moved). Only these places are searched.
/// A file that exists but cannot be loaded is an error (never silently skipped for the next directory).
///
/// OWNERSHIP: the registry holds every library it loaded; each component it creates holds its library too (through
/// its shared_ptr deleter), so a library stays loaded while the registry or any of its components lives.
/// THREAD: all methods are safe to call from any thread.
/// ERRORS: PluginError naming the file and the cause (missing, not a plugin, ABI mismatch with both versions,
/// duplicate component, factory failure with its message, unknown name listing the known names); a factory's
/// ConfigError is rethrown as it is (it already names the key path).
class HPCEXEC_API PluginRegistry {
public:
    PluginRegistry();
    ~PluginRegistry();
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    /// Loads one library by path (made absolute). Loading the same file twice is a no-op.
    void load_library(const std::filesystem::path& file);
    /// Loads every `*.so` file directly inside `directory`; a missing directory is an error naming it.
    void load_directory(const std::filesystem::path& directory);
    /// Loads the configured directories, then HPCEXEC_PLUGIN_PATH, then the install's plugin directory
    /// (the last two skipped when they do not exist). Each directory is loaded once per registry.
    void load_search_path(const std::vector<std::string>& configured_directories);

    /// The directory where an installed hpcexec keeps its plugins (exists or not).
    static std::filesystem::path install_plugin_directory();

    std::shared_ptr<Connector> create_connector(const ComponentContext& context) const;
    std::shared_ptr<QueueSystem> create_queue_system(const ComponentContext& context) const;
    std::shared_ptr<Serializer> create_serializer(const ComponentContext& context) const;
    std::shared_ptr<CheckpointStore> create_checkpoint_store(const ComponentContext& context) const;

    /// True when a component of this kind and name is known.
    bool has(plugin::ComponentKind kind, const std::string& name) const;
    /// The names known for a kind, sorted.
    std::vector<std::string> names(plugin::ComponentKind kind) const;
    /// Every library loaded so far, in load order.
    std::vector<LoadedPluginInfo> plugins() const;

private:
    struct Library;
    struct Entry;
    std::shared_ptr<Component> create(plugin::ComponentKind kind, const ComponentContext& context) const;

    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<Library>> libraries_;
    std::map<std::pair<plugin::ComponentKind, std::string>, std::shared_ptr<Entry>> entries_;
    std::vector<std::filesystem::path> loaded_directories_;
};

}  // namespace hpcexec
