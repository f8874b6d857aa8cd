// The plugin's entry point: provides the checkpoint store `sqlite`, all records in one SQLite database file.
//
// Configuration (`checkpoint: {sqlite: {...}}`):
//   path: ~/.hpcexec/checkpoints.db   required; the database file, created with its directory when first used
//   busy_timeout: 5s                  how long a write waits for another process's lock on the database
#include "checkpoint_common.hpp"
#include "sqlite_store.hpp"

#include <hpcexec/logging.hpp>
#include <hpcexec/plugin.hpp>

#include <memory>

namespace {

std::unique_ptr<hpcexec::Component> make_sqlite_store(const hpcexec::ComponentContext& context) {
    const auto settings =
        hpcexec::checkpoint::read_store_settings(context.config, context.config_path, "the database file");
    auto logger = context.logger ? context.logger : hpcexec::get_logger(context.name);
    return std::make_unique<hpcexec::checkpoint::SqliteCheckpointStore>(settings.path, settings.busy_timeout,
                                                                        std::move(logger));
}

}  // namespace

HPCEXEC_PLUGIN("hpcexec-checkpoint-sqlite", "0.1.0", HPCEXEC_COMPONENT(checkpoint_store, "sqlite", make_sqlite_store))
