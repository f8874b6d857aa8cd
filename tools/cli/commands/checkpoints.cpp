// `hpcexec checkpoints list [PREFIX]` and `hpcexec checkpoints clear KEY...|--prefix PREFIX`: the records of the
// configured checkpoint store (exactly-once submissions made with `submit --checkpoint-key`, memoised results).
#include "cli_context.hpp"
#include "commands/commands.hpp"

#include <hpcexec/errors.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <iostream>

namespace hpcexec::cli {
namespace {

int list(CliContext& context) {
    auto store = context.executor().checkpoint_store();
    const auto keys = store->list(context.operands().empty() ? "" : context.operands().front());
    if (context.json()) {
        boost::json::array records;
        for (const auto& key : keys) {
            // A record may be removed between list() and get(): then it is simply not shown.
            if (auto record = store->get(key)) {
                records.push_back(boost::json::object{
                    {"key", key}, {"version", record->version}, {"bytes", record->data.size()}});
            }
        }
        CliContext::print_json(boost::json::object{{"store", store->describe()}, {"records", std::move(records)}});
    } else {
        for (const auto& key : keys) std::cout << key << "\n";
    }
    return exit_code::success;
}

int clear(CliContext& context) {
    const bool by_prefix = context.options().count("prefix") > 0;
    if (by_prefix == !context.operands().empty()) {
        throw UsageError("checkpoints clear: give either KEY... or --prefix PREFIX");
    }
    auto store = context.executor().checkpoint_store();
    const auto keys = by_prefix ? store->list(context.string_option("prefix")) : context.operands();
    std::vector<std::string> missing;
    for (const auto& key : keys) {
        if (store->erase(key)) std::cout << "removed " << key << "\n";
        else missing.push_back(key);
    }
    if (missing.empty()) return exit_code::success;
    // A named key that is not there is most likely a typo: the others are cleared, then it is reported.
    std::string list;
    for (const auto& key : missing) list += (list.empty() ? "'" : ", '") + key + "'";
    throw CheckpointError("checkpoint " + store->describe() + " has no record " + list);
}

}  // namespace

Command checkpoints_list_command() {
    Command command;
    command.name = "checkpoints list";
    command.operands = "[PREFIX]";
    command.summary = "List the keys in the checkpoint store.";
    command.details =
        "The store is the configuration's `checkpoint` (default: sqlite in ~/.hpcexec/checkpoints.sqlite).\n"
        "Prints the keys that start with PREFIX (every key without it), one per line, sorted.\n"
        "--json prints {\"store\", \"records\": [{\"key\", \"version\", \"bytes\"}]}.";
    command.max_operands = 1;
    command.action = list;
    return command;
}

Command checkpoints_clear_command() {
    Command command;
    command.name = "checkpoints clear";
    command.operands = "KEY...|--prefix PREFIX";
    command.summary = "Remove checkpoint records: the KEYs, or all keys under PREFIX.";
    command.details =
        "Removing a submission's record makes the next `submit --checkpoint-key KEY` submit a new job.\n"
        "Prints `removed KEY` for each record removed. A KEY that has no record is reported (exit status 7)\n"
        "after the others are removed; a PREFIX that matches nothing is not an error.";
    command.max_operands = -1;
    command.add_options = [](po::options_description& options) {
        options.add_options()
            ("prefix", po::value<std::string>()->value_name("PREFIX"), "remove every key starting with PREFIX");
    };
    command.action = clear;
    return command;
}

}  // namespace hpcexec::cli
