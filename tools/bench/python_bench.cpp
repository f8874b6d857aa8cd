// Benchmark of the Python runner (not a test: it prints figures and ratios).
//
//   python_bench [--calls N]
//
// Median latency of N sequential run_python_fn(operator:add)(1, 2) calls with persistent workers vs one Python
// process per call, side by side, over SSH on loopback (the test cluster's login node) and through the local
// connector. Needs the local test cluster (tools/testcluster/start.sh) and HPCEXEC_PLUGIN_PATH pointing at the
// plugins (tools/bench/run.sh python sets both up). Goal over SSH: at least 20x, persistent median under 2 ms.
// A connector without Connector::start falls back to a process per call: the persistent column then says so.
#include "bench_support.hpp"
#include <hpcexec/executor.hpp>
#include <hpcexec/python.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

using hpcexec::bench::cluster_env;
using hpcexec::bench::cluster_ssh_section;

namespace {

// The interpreter behind `python3` on this machine (a version manager's shim would add its own start-up time).
std::string local_python() {
    std::string path;
    if (FILE* pipe = ::popen("python3 -c 'import sys; print(sys.executable)' 2>/dev/null", "r")) {
        char buffer[4096];
        if (std::fgets(buffer, sizeof buffer, pipe)) path = buffer;
        ::pclose(pipe);
    }
    while (!path.empty() && path.back() == '\n') path.pop_back();
    return path.empty() ? "python3" : path;
}

struct Timing {
    double median_ms = 0;
    double p90_ms = 0;
    bool persistent = false;
};

// Warms up (starts the workers, opens the connection), then times `calls` sequential add(1, 2).
Timing measure(const std::shared_ptr<hpcexec::HpcExecutor>& executor, int calls) {
    auto add = executor->run_python_fn(hpcexec::PythonFunction::ref("operator:add"));
    for (int i = 0; i < 3; ++i) {
        if (add(1, 2) != hpcexec::Value(3)) {
            std::cerr << "python_bench: add(1, 2) is not 3\n";
            std::exit(1);
        }
    }
    std::vector<double> ms;
    ms.reserve(static_cast<std::size_t>(calls));
    for (int i = 0; i < calls; ++i) {
        auto start = Clock::now();
        add(1, 2);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    std::sort(ms.begin(), ms.end());
    return Timing{ms[ms.size() / 2], ms[ms.size() * 9 / 10], executor->python().persistent()};
}

void row(const std::string& route, const Timing& persistent, const Timing& per_call) {
    if (!persistent.persistent) {
        std::printf(
            "  %-28s persistent: n/a (the connector has no Connector::start yet)   per call %8.2f ms "
            "(p90 %.2f)\n",
            route.c_str(), per_call.median_ms, per_call.p90_ms);
        return;
    }
    double ratio = persistent.median_ms > 0 ? per_call.median_ms / persistent.median_ms : 0;
    std::printf("  %-28s persistent %7.3f ms (p90 %6.3f)   per call %8.2f ms (p90 %7.2f)   %6.1fx faster%s\n",
                route.c_str(), persistent.median_ms, persistent.p90_ms, per_call.median_ms, per_call.p90_ms, ratio,
                ratio >= 20 && persistent.median_ms < 2 ? "  (goal met: >= 20x, < 2 ms)" : "");
}

}  // namespace

int main(int argc, char** argv) {
    int calls = 200;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--calls") == 0 && i + 1 < argc) calls = std::max(1, std::atoi(argv[++i]));
    }
    auto env = cluster_env();
    if (env.empty()) {
        std::cerr << "python_bench: the test cluster is not running (no env.sh); start tools/testcluster/start.sh\n";
        return 1;
    }
    const std::string remote_dir = env["HPCEXEC_TC_WORK_DIR"] + "/python-bench-" + std::to_string(::getpid());
    const std::string local_dir =
        (std::filesystem::temp_directory_path() / ("hpcexec-python-bench-" + std::to_string(::getpid()))).string();

    auto ssh_executor = [&](int workers) {
        return hpcexec::HpcExecutor::from_config(json::value(json::object{{"ssh", cluster_ssh_section(env, false)},
                                                                          {"work_dir", remote_dir},
                                                                          {"python", json::object{{"workers", workers}}}}));
    };
    auto local_executor = [&](int workers) {
        return hpcexec::HpcExecutor::from_config(json::value(json::object{
            {"work_dir", local_dir}, {"python_cmd", local_python()}, {"python", json::object{{"workers", workers}}}}));
    };

    std::printf("hpcexec Python runner benchmark: median of %d sequential run_python_fn(operator:add)(1, 2)\n", calls);
    try {
        Timing ssh_persistent = measure(ssh_executor(2), calls);
        Timing ssh_per_call = measure(ssh_executor(0), calls);
        row("ssh (loopback login node)", ssh_persistent, ssh_per_call);
        Timing local_persistent = measure(local_executor(2), calls);
        Timing local_per_call = measure(local_executor(0), calls);
        row("local", local_persistent, local_per_call);
    } catch (const std::exception& error) {
        std::cerr << "python_bench: " << error.what() << "\n";
        std::filesystem::remove_all(local_dir);
        return 1;
    }
    std::filesystem::remove_all(local_dir);
    std::filesystem::remove_all(remote_dir);  // the loopback login node's work dir is on this machine
    return 0;
}
