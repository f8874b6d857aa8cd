// Out-of-line destructors: they anchor each interface's vtable and type information in the SDK library, so the
// kernel, every plugin and user code share one copy (needed for dynamic_cast and catch across libraries).
#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/component.hpp>
#include <hpcexec/connector.hpp>
#include <hpcexec/plugin.hpp>
#include <hpcexec/queue_system.hpp>
#include <hpcexec/serializer.hpp>

namespace hpcexec {

Component::~Component() = default;
Connector::~Connector() = default;
RemoteProcess::~RemoteProcess() = default;

boost::asio::awaitable<std::unique_ptr<RemoteProcess>> Connector::start(CommandSpec) {
    throw Error(target() + ": this connector cannot keep a process open (no interactive processes)");
    co_return nullptr;
}
QueueSystem::~QueueSystem() = default;
Serializer::~Serializer() = default;
CheckpointStore::~CheckpointStore() = default;

std::string_view to_string(JobState state) noexcept {
    switch (state) {
        case JobState::pending: return "PENDING";
        case JobState::running: return "RUNNING";
        case JobState::completed: return "COMPLETED";
        case JobState::failed: return "FAILED";
        case JobState::cancelled: return "CANCELLED";
        case JobState::timeout: return "TIMEOUT";
        case JobState::held: return "HELD";
        case JobState::unknown: return "UNKNOWN";
    }
    return "UNKNOWN";
}

bool is_terminal(JobState state) noexcept {
    return state == JobState::completed || state == JobState::failed || state == JobState::cancelled ||
           state == JobState::timeout;
}

namespace plugin {
const char* to_string(ComponentKind kind) noexcept {
    switch (kind) {
        case ComponentKind::connector: return "connector";
        case ComponentKind::queue_system: return "queue_system";
        case ComponentKind::serializer: return "serializer";
        case ComponentKind::checkpoint_store: return "checkpoint_store";
    }
    return "unknown";
}
}  // namespace plugin

}  // namespace hpcexec
