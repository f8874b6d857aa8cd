// The `slurm` queue system plugin's entry point.
#include "slurm_queue.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/plugin.hpp>

namespace {

std::unique_ptr<hpcexec::Component> make_slurm_queue(const hpcexec::ComponentContext& context) {
    hpcexec::ConfigReader reader(context.config, context.config_path);
    auto options = hpcexec::slurm::SlurmOptions::read(reader);
    reader.finish();
    if (!context.connector) throw hpcexec::Error("the slurm queue system needs a connector");
    return std::make_unique<hpcexec::slurm::SlurmQueue>(std::move(options), context.connector, context.logger);
}

}  // namespace

HPCEXEC_PLUGIN("hpcexec-slurm", "0.1.0", HPCEXEC_COMPONENT(queue_system, "slurm", make_slurm_queue))
