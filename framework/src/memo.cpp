// Memoised values in the checkpoint store: HpcExecutor::checkpoint and its two halves.
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/logging.hpp>

#include <boost/json.hpp>

namespace hpcexec {
namespace {

// A memo record is this header line followed by the serializer's bytes. The header names the serializer so a record
// written by another one is reported, not misread.
std::string memo_header(const std::string& serializer) { return "hpcexec-memo 1 " + serializer + "\n"; }

}  // namespace

std::shared_ptr<Serializer> HpcExecutor::value_serializer() {
    std::lock_guard lock(checkpoint_mutex_);
    if (value_serializer_) return value_serializer_;
    static const boost::json::value no_options = boost::json::object{};
    ComponentContext context{"pickle", "serializer.pickle", no_options, kernel_->loop().executor(),
                             get_logger("pickle"), connector_, cluster_name_};
    value_serializer_ = kernel_->registry().create_serializer(context);
    return value_serializer_;
}

std::optional<Value> HpcExecutor::load_checkpointed_value(const std::string& key) {
    auto store = checkpoint_store();
    auto record = store->get(key);
    if (!record) return std::nullopt;
    auto serializer = value_serializer();
    const std::string header = memo_header(serializer->name());
    const std::string where = "checkpoint " + store->describe() + " key '" + key + "'";
    if (record->data.rfind("hpcexec-memo ", 0) != 0) {
        throw CheckpointError(where + ": not a memoised value (is the key also used for a job submission?)");
    }
    if (record->data.rfind(header, 0) != 0) {
        throw CheckpointError(where + ": the memoised value was written in another format (" +
                              record->data.substr(0, record->data.find('\n')) + ")");
    }
    try {
        return serializer->deserialize(std::string_view(record->data).substr(header.size()));
    } catch (const SerializationError& e) {
        throw CheckpointError(where + ": corrupt memoised value: " + e.what());
    }
}

void HpcExecutor::store_checkpointed_value(const std::string& key, const Value& value) {
    auto serializer = value_serializer();
    checkpoint_store()->put(key, memo_header(serializer->name()) + serializer->serialize(value));
}

}  // namespace hpcexec
