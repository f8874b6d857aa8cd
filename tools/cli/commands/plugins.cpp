// `hpcexec plugins`: which plugin libraries are found and loaded, from where, their versions and components.
#include "cli_context.hpp"
#include "commands/commands.hpp"

#include <hpcexec/config.hpp>
#include <hpcexec/kernel.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <iostream>

namespace hpcexec::cli {
namespace {

// The plugin_dirs of every cluster in the configuration file (none without a file): `plugins` shows what any of
// them could use, so it needs no --cluster.
std::vector<std::string> configured_plugin_dirs(CliContext& context) {
    std::vector<std::string> directories;
    if (!context.has_config_file()) return directories;
    const auto& document = context.config_document();
    for (const auto& cluster : cluster_names(document)) {
        for (const auto& directory : select_cluster(document, cluster).plugin_dirs) {
            if (std::find(directories.begin(), directories.end(), directory) == directories.end()) {
                directories.push_back(directory);
            }
        }
    }
    return directories;
}

int plugins(CliContext& context) {
    // The shared kernel lives only while someone holds it: keep it for as long as its registry is used.
    const auto kernel = Kernel::shared();
    kernel->registry().load_search_path(configured_plugin_dirs(context));
    const auto loaded = kernel->registry().plugins();

    if (context.json()) {
        boost::json::array libraries;
        for (const auto& library : loaded) {
            boost::json::array components;
            for (const auto& [kind, name] : library.components) {
                components.push_back(boost::json::object{{"kind", plugin::to_string(kind)}, {"name", name}});
            }
            libraries.push_back(boost::json::object{{"name", library.name},
                                                    {"version", library.version},
                                                    {"file", library.file.string()},
                                                    {"components", std::move(components)}});
        }
        CliContext::print_json(boost::json::object{{"plugins", std::move(libraries)}});
    } else {
        for (const auto& library : loaded) {
            std::cout << library.name << " " << library.version << "  " << library.file.string() << "\n";
            for (const auto& [kind, name] : library.components) {
                std::cout << "    " << plugin::to_string(kind) << " " << name << "\n";
            }
        }
    }
    if (loaded.empty()) {
        CliContext::warn("no plugins found (searched the configuration's plugin_dirs, $HPCEXEC_PLUGIN_PATH and " +
                         PluginRegistry::install_plugin_directory().string() + ")");
    }
    return exit_code::success;
}

}  // namespace

Command plugins_command() {
    Command command;
    command.name = "plugins";
    command.summary = "List the plugins found: their files, versions and components.";
    command.details =
        "Plugins are searched in the configuration's plugin_dirs (of every cluster; none without a configuration\n"
        "file), then in each directory of $HPCEXEC_PLUGIN_PATH, then in the install's lib/hpcexec/plugins.\n"
        "Each library is shown as NAME VERSION FILE, then one line per component: KIND NAME (the name a\n"
        "configuration chooses it by). A library that cannot be loaded is an error (exit status 3).\n"
        "--json prints {\"plugins\": [{\"name\", \"version\", \"file\", \"components\": [{\"kind\", \"name\"}]}]}.";
    command.action = plugins;
    return command;
}

}  // namespace hpcexec::cli
