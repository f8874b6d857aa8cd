// The plugin's entry point: provides the checkpoint store `dir`, one file per key under a directory.
//
// Configuration (`checkpoint: {dir: {...}}`):
//   path: /scratch/me/checkpoints   required; the store's directory, created when first used
//   busy_timeout: 5s                how long to wait for another process's lock on the store
#include "checkpoint_common.hpp"
#include "dir_store.hpp"

#include <hpcexec/plugin.hpp>

#include <memory>

namespace {

std::unique_ptr<hpcexec::Component> make_dir_store(const hpcexec::ComponentContext& context) {
    const auto settings = hpcexec::checkpoint::read_store_settings(context.config, context.config_path,
                                                                   "the directory that holds the records");
    return std::make_unique<hpcexec::checkpoint::DirCheckpointStore>(settings.path, settings.busy_timeout);
}

}  // namespace

HPCEXEC_PLUGIN("hpcexec-checkpoint-dir", "0.1.0", HPCEXEC_COMPONENT(checkpoint_store, "dir", make_dir_store))
