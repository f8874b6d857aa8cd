// The plugin's entry point: one component, connector `ssh`.
#include "ssh_connector.hpp"

#include <hpcexec/plugin.hpp>

namespace {

std::unique_ptr<hpcexec::Component> make_ssh_connector(const hpcexec::ComponentContext& context) {
    return std::make_unique<hpcexec::ssh::SshConnector>(context);
}

}  // namespace

HPCEXEC_PLUGIN("hpcexec-ssh", HPCEXEC_CONNECTOR_SSH_VERSION, HPCEXEC_COMPONENT(connector, "ssh", make_ssh_connector))
