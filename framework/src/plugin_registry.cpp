#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/logging.hpp>
#include <hpcexec/plugin_registry.hpp>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace hpcexec {

namespace fs = std::filesystem;
using plugin::ComponentKind;

/// One loaded library. Components hold it through their deleters, so it is unloaded only after the last of them.
struct PluginRegistry::Library {
    boost::dll::shared_library handle;
    LoadedPluginInfo info;
};

/// One component a library provides.
struct PluginRegistry::Entry {
    std::shared_ptr<Library> library;
    plugin::Factory factory;
};

namespace {

std::string component_label(ComponentKind kind, const std::string& name) {
    return std::string(plugin::to_string(kind)) + " '" + name + "'";
}

// Checks that a factory returned an object of the interface its descriptor promised.
bool matches_kind(const Component& component, ComponentKind kind) {
    switch (kind) {
        case ComponentKind::connector: return dynamic_cast<const Connector*>(&component) != nullptr;
        case ComponentKind::queue_system: return dynamic_cast<const QueueSystem*>(&component) != nullptr;
        case ComponentKind::serializer: return dynamic_cast<const Serializer*>(&component) != nullptr;
        case ComponentKind::checkpoint_store: return dynamic_cast<const CheckpointStore*>(&component) != nullptr;
    }
    return false;
}

bool is_known_kind(ComponentKind kind) {
    return kind == ComponentKind::connector || kind == ComponentKind::queue_system ||
           kind == ComponentKind::serializer || kind == ComponentKind::checkpoint_store;
}

}  // namespace

PluginRegistry::PluginRegistry() = default;

PluginRegistry::~PluginRegistry() {
    // Entries hold libraries too; drop them before the library list so unloading happens here, in one place.
    entries_.clear();
    libraries_.clear();
}

fs::path PluginRegistry::install_plugin_directory() {
    // The framework library sits in <prefix>/lib; its plugins in <prefix>/lib/hpcexec/plugins. Found from the
    // library's own location, so an installed tree can be moved anywhere.
    boost::dll::fs::error_code ignored;
    auto self = boost::dll::this_line_location(ignored);
    return fs::path(self.parent_path().string()) / "hpcexec" / "plugins";
}

void PluginRegistry::load_library(const fs::path& requested) {
    auto logger = get_logger("kernel");
    std::error_code ec;
    fs::path file = fs::absolute(requested, ec);
    if (ec) file = requested;
    if (!fs::exists(file, ec)) throw PluginError("plugin " + file.string() + ": file not found");
    file = fs::canonical(file, ec);

    std::lock_guard lock(mutex_);
    for (const auto& library : libraries_) {
        if (library->info.file == file) return;
    }

    auto library = std::make_shared<Library>();
    library->info.file = file;
    try {
        library->handle.load(boost::dll::fs::path(file.string()),
                             boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        throw PluginError("plugin " + file.string() + ": cannot be loaded: " + e.what());
    }
    if (!library->handle.has(plugin::entry_point_name)) {
        throw PluginError("plugin " + file.string() + ": not an hpcexec plugin (no entry point " +
                          plugin::entry_point_name + ")");
    }
    auto entry_point = library->handle.get<const plugin::PluginDescriptor*()>(plugin::entry_point_name);
    const plugin::PluginDescriptor* descriptor = entry_point();
    if (descriptor == nullptr) throw PluginError("plugin " + file.string() + ": entry point returned no descriptor");
    // The ABI version is the only member read before the versions are known to match.
    if (descriptor->abi_version != plugin::abi_version) {
        throw PluginError("plugin " + file.string() + ": ABI version mismatch: expected " +
                          std::to_string(plugin::abi_version) + ", found " +
                          std::to_string(descriptor->abi_version) + " (rebuild the plugin against this SDK)");
    }
    library->info.name = descriptor->name ? descriptor->name : "";
    library->info.version = descriptor->version ? descriptor->version : "";

    // Validate every component before registering any, so a refused library leaves the registry unchanged.
    std::vector<std::pair<std::pair<ComponentKind, std::string>, plugin::Factory>> provided;
    for (std::size_t i = 0; i < descriptor->component_count; ++i) {
        const auto& component = descriptor->components[i];
        if (!is_known_kind(component.kind) || component.name == nullptr || component.factory == nullptr) {
            throw PluginError("plugin " + file.string() + ": component #" + std::to_string(i) +
                              " is malformed (unknown kind, no name or no factory)");
        }
        auto key = std::make_pair(component.kind, std::string(component.name));
        if (auto existing = entries_.find(key); existing != entries_.end()) {
            throw PluginError("plugin " + file.string() + ": " + component_label(key.first, key.second) +
                              " is already provided by " + existing->second->library->info.file.string());
        }
        for (const auto& earlier : provided) {
            if (earlier.first == key) {
                throw PluginError("plugin " + file.string() + ": provides " + component_label(key.first, key.second) +
                                  " twice");
            }
        }
        provided.emplace_back(key, component.factory);
    }
    for (auto& [key, factory] : provided) {
        entries_[key] = std::make_shared<Entry>(Entry{library, factory});
        library->info.components.push_back(key);
    }
    libraries_.push_back(library);
    logger->debug("loaded plugin {} {} from {} ({} components)", library->info.name, library->info.version,
                  file.string(), provided.size());
}

void PluginRegistry::load_directory(const fs::path& directory) {
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) {
        throw PluginError("plugin directory " + directory.string() + ": not found or not a directory");
    }
    std::vector<fs::path> files;
    for (const auto& item : fs::directory_iterator(directory, ec)) {
        if (item.path().extension() == ".so" && item.is_regular_file()) files.push_back(item.path());
    }
    if (ec) throw PluginError("plugin directory " + directory.string() + ": cannot be read: " + ec.message());
    // Sorted, so that which of two conflicting plugins wins the error message does not depend on the file system.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) load_library(file);
    std::lock_guard lock(mutex_);
    loaded_directories_.push_back(fs::absolute(directory, ec));
}

void PluginRegistry::load_search_path(const std::vector<std::string>& configured_directories) {
    auto already_loaded = [this](const fs::path& directory) {
        std::error_code ec;
        auto absolute = fs::absolute(directory, ec);
        std::lock_guard lock(mutex_);
        return std::find(loaded_directories_.begin(), loaded_directories_.end(), absolute) !=
               loaded_directories_.end();
    };
    // Configured directories must exist: the user named them.
    for (const auto& directory : configured_directories) {
        if (!already_loaded(directory)) load_directory(directory);
    }
    // The environment and the install location are optional.
    std::vector<fs::path> optional_directories;
    if (const char* env = std::getenv("HPCEXEC_PLUGIN_PATH")) {
        std::stringstream stream(env);
        std::string item;
        while (std::getline(stream, item, ':')) {
            if (!item.empty()) optional_directories.emplace_back(item);
        }
    }
    optional_directories.push_back(install_plugin_directory());
    for (const auto& directory : optional_directories) {
        std::error_code ec;
        if (fs::is_directory(directory, ec) && !already_loaded(directory)) load_directory(directory);
    }
}

std::shared_ptr<Component> PluginRegistry::create(ComponentKind kind, const ComponentContext& context) const {
    std::shared_ptr<Entry> entry;
    {
        std::lock_guard lock(mutex_);
        auto it = entries_.find({kind, context.name});
        if (it != entries_.end()) entry = it->second;
    }
    if (!entry) {
        auto known = names(kind);
        std::string message = "unknown " + component_label(kind, context.name);
        std::string suggestion = closest_match(context.name, known);
        if (!suggestion.empty()) message += " (did you mean " + suggestion + "?)";
        std::string list;
        for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
        message += "; known " + std::string(plugin::to_string(kind)) + " names: " + (list.empty() ? "none" : list);
        message += " (plugins are searched in plugin_dirs, HPCEXEC_PLUGIN_PATH and " +
                   install_plugin_directory().string() + ")";
        throw ConfigError(context.config_path, message);
    }
    const auto& file = entry->library->info.file;
    std::unique_ptr<Component> created;
    try {
        created = entry->factory(context);
    } catch (const ConfigError&) {
        throw;
    } catch (const std::exception& e) {
        throw PluginError("plugin " + file.string() + ": creating " + component_label(kind, context.name) +
                          " failed: " + e.what());
    } catch (...) {
        throw PluginError("plugin " + file.string() + ": creating " + component_label(kind, context.name) +
                          " failed with an exception that is not a std::exception");
    }
    if (!created) {
        throw PluginError("plugin " + file.string() + ": the factory of " + component_label(kind, context.name) +
                          " returned nothing");
    }
    if (!matches_kind(*created, kind)) {
        throw PluginError("plugin " + file.string() + ": the factory of " + component_label(kind, context.name) +
                          " returned an object that is not a " + plugin::to_string(kind));
    }
    // The deleter owns a reference to the library: the component's code stays mapped until it is destroyed.
    auto library = entry->library;
    return std::shared_ptr<Component>(created.release(), [library](Component* component) { delete component; });
}

std::shared_ptr<Connector> PluginRegistry::create_connector(const ComponentContext& context) const {
    return std::dynamic_pointer_cast<Connector>(create(ComponentKind::connector, context));
}
std::shared_ptr<QueueSystem> PluginRegistry::create_queue_system(const ComponentContext& context) const {
    return std::dynamic_pointer_cast<QueueSystem>(create(ComponentKind::queue_system, context));
}
std::shared_ptr<Serializer> PluginRegistry::create_serializer(const ComponentContext& context) const {
    return std::dynamic_pointer_cast<Serializer>(create(ComponentKind::serializer, context));
}
std::shared_ptr<CheckpointStore> PluginRegistry::create_checkpoint_store(const ComponentContext& context) const {
    return std::dynamic_pointer_cast<CheckpointStore>(create(ComponentKind::checkpoint_store, context));
}

bool PluginRegistry::has(ComponentKind kind, const std::string& name) const {
    std::lock_guard lock(mutex_);
    return entries_.count({kind, name}) > 0;
}

std::vector<std::string> PluginRegistry::names(ComponentKind kind) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [key, entry] : entries_) {
        if (key.first == kind) out.push_back(key.second);
    }
    return out;
}

std::vector<LoadedPluginInfo> PluginRegistry::plugins() const {
    std::lock_guard lock(mutex_);
    std::vector<LoadedPluginInfo> out;
    for (const auto& library : libraries_) out.push_back(library->info);
    return out;
}

}  // namespace hpcexec
