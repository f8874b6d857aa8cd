// The plugin's entry point: provides the connector `local`.
//
// Configuration (`connector: {local: {...}}`), every key optional:
//   shell: /bin/sh                 the shell that runs commands given as a string
//   max_concurrent_commands: 128   commands running at once; more wait their turn
#include "local_connector.hpp"

#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/logging.hpp>
#include <hpcexec/plugin.hpp>

#include <memory>

namespace {

std::unique_ptr<hpcexec::Component> make_local_connector(const hpcexec::ComponentContext& context) {
    hpcexec::ConfigReader config(context.config, context.config_path);
    hpcexec::local::LocalConnectorOptions options;
    options.shell = config.string("shell", options.shell);
    if (options.shell.empty()) throw hpcexec::ConfigError(config.path_of("shell"), "must not be empty");
    options.max_concurrent_commands = static_cast<std::size_t>(config.integer("max_concurrent_commands", 1, 100'000)
                                                                   .value_or(static_cast<std::int64_t>(options.max_concurrent_commands)));
    config.finish();
    auto logger = context.logger ? context.logger : hpcexec::get_logger(context.name);
    return std::make_unique<hpcexec::local::LocalConnector>(context.executor, std::move(logger), std::move(options));
}

}  // namespace

HPCEXEC_PLUGIN("hpcexec-connector-local", HPCEXEC_CONNECTOR_LOCAL_VERSION,
               HPCEXEC_COMPONENT(connector, "local", make_local_connector))
