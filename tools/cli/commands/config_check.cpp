// `hpcexec config check`: validates the configuration file, every cluster in it, and says what is wrong where.
#include "cli_context.hpp"
#include "commands/commands.hpp"

#include <hpcexec/config.hpp>
#include <hpcexec/errors.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <iostream>

namespace hpcexec::cli {
namespace {

struct Problem {
    std::string cluster;  // empty: the file itself, or its only cluster
    std::string message;  // the error's own text: it carries the key path, the line, or the plugin's words
    int exit_code;
};

void add_problem(std::vector<Problem>& problems, std::string cluster, const std::exception& error) {
    // A mistake outside `executors` (or in it as a whole) is found once per cluster: report it once.
    for (const auto& known : problems) {
        if (known.message == error.what()) return;
    }
    problems.push_back(Problem{std::move(cluster), error.what(), exit_code::for_error(std::current_exception())});
}

// Builds the cluster's executor, as every other command would, so that a plugin's own options and an unknown
// plugin name are found too; with `connect`, also reaches the login node and creates work_dir.
void check_cluster(const boost::json::value& document, const std::string& cluster, bool connect,
                   std::vector<Problem>& problems) {
    try {
        auto executor = make_executor(document, cluster);
        if (connect) executor->init();
    } catch (const std::exception& e) {
        add_problem(problems, cluster, e);
    }
}

// "FILE: cluster b: " without what the message already says (a syntax error names the file, a key path in a
// file with several clusters names the cluster).
std::string location_of(const Problem& problem, const std::string& file) {
    std::string location = problem.message.rfind(file + ":", 0) == 0 ? "" : file + ": ";
    if (!problem.cluster.empty() && problem.message.rfind("executors." + problem.cluster, 0) != 0) {
        location += "cluster " + problem.cluster + ": ";
    }
    return location;
}

int config_check(CliContext& context) {
    const std::string file = context.config_file().string();
    std::vector<std::string> clusters;
    std::vector<Problem> problems;
    try {
        const auto& document = context.config_document();
        clusters = cluster_names(document);
        for (const auto& cluster : clusters) check_cluster(document, cluster, context.flag("connect"), problems);
    } catch (const std::exception& e) {  // the file itself: missing, unreadable, a syntax error
        add_problem(problems, "", e);
    }
    const bool several = clusters.size() > 1 || (clusters.size() == 1 && !clusters.front().empty());

    if (context.json()) {
        boost::json::array names;
        if (several) {
            for (const auto& cluster : clusters) names.emplace_back(cluster);
        }
        boost::json::array found;
        for (const auto& problem : problems) {
            found.push_back(boost::json::object{{"cluster", problem.cluster}, {"message", problem.message}});
        }
        CliContext::print_json(boost::json::object{
            {"file", file}, {"ok", problems.empty()}, {"clusters", std::move(names)}, {"problems", std::move(found)}});
    } else if (problems.empty()) {
        std::string list;
        for (const auto& cluster : clusters) list += (list.empty() ? "" : ", ") + cluster;
        std::cout << "ok" << (several ? " (clusters: " + list + ")" : "") << "\n";
    } else {
        for (const auto& problem : problems) CliContext::warn(location_of(problem, file) + problem.message);
    }
    if (problems.empty()) return exit_code::success;
    // The most fundamental problem decides: configuration (3) before connection (4) before the rest.
    return std::min_element(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
               return a.exit_code < b.exit_code;
           })->exit_code;
}

}  // namespace

Command config_check_command() {
    Command command;
    command.name = "config check";
    command.summary = "Validate the configuration file; prints ok or what is wrong where.";
    command.details =
        "Reads the file (--config, else $HPCEXEC_CONFIG, else ./hpcexec.yaml), checks every cluster in it (all of\n"
        "`executors`, whatever --cluster says) and builds each one's executor, which loads the plugins it names\n"
        "and lets them check their own options, without connecting. Each problem is printed on stderr with its\n"
        "place: the line and column of a syntax error, or the key path (executors.<cluster>.queue_system...).\n"
        "Exit status: 0 and \"ok\" when valid; 3 for a configuration problem; 4 when --connect cannot reach a\n"
        "cluster.\n"
        "--json prints {\"file\", \"ok\", \"clusters\": [names], \"problems\": [{\"cluster\", \"message\"}]}.";
    command.add_options = [](po::options_description& options) {
        options.add_options()
            ("connect", po::bool_switch(), "also connect to each cluster and create its work_dir");
    };
    command.action = config_check;
    return command;
}

}  // namespace hpcexec::cli
