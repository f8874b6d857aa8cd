// Benchmark of the `ssh` connector on the local test cluster, side by side with OpenSSH in the same run (not a
// test: it prints figures and ratios).
//
//   ssh_bench [--calls N] [--quick]
//
// Needs the local test cluster (tools/testcluster/start.sh) and HPCEXEC_PLUGIN_PATH pointing at the plugins
// (tools/bench/run.sh ssh sets both up). Measures, directly and through the gateway:
//   - median latency of N sequential run("true") vs `ssh` with a ControlMaster and vs a fresh `ssh` per call;
//   - wall time of 100 concurrent run("true");
//   - 2,000 x 1 KB files up and down vs `sftp -r`, `scp -r` and `tar c | ssh tar x`;
//   - a 200 MB file up and down vs `scp`.
#include "bench_support.hpp"
#include <hpcexec/executor.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

using hpcexec::bench::cluster_env;
using hpcexec::bench::cluster_ssh_section;
using hpcexec::bench::median;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Runs a shell command line, aborting the benchmark if it fails.
void sh(const std::string& command) {
    if (std::system(command.c_str()) != 0) {
        std::cerr << "ssh_bench: command failed: " << command << "\n";
        std::exit(1);
    }
}

double time_sh(const std::string& command) {
    auto start = Clock::now();
    sh(command);
    return seconds_since(start);
}

// One line of the table. The ratio says how many times better hpcexec does: baseline time / hpcexec time, or
// hpcexec throughput / baseline throughput.
void row(const std::string& what, double ours, double theirs, const std::string& baseline, const char* unit,
         bool throughput = false) {
    double ratio = throughput ? (theirs > 0 ? ours / theirs : 0.0) : (ours > 0 ? theirs / ours : 0.0);
    std::printf("  %-40s hpcexec %9.3f %-4s  %-26s %9.3f %-4s  hpcexec %5.2fx better\n", what.c_str(), ours, unit,
                baseline.c_str(), theirs, unit, ratio);
}

}  // namespace

int main(int argc, char** argv) {
    int calls = 500;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--calls" && i + 1 < argc) calls = std::atoi(argv[++i]);
        else if (arg == "--quick") quick = true;
    }
    auto env = cluster_env();
    if (env.empty()) {
        std::cerr << "ssh_bench: the test cluster is not running (no env.sh); start tools/testcluster/start.sh\n";
        return 2;
    }
    const std::string user_host = env["HPCEXEC_TC_USER"] + "@" + env["HPCEXEC_TC_HOST"] + ":";
    const std::string ssh_config = env["HPCEXEC_TC_SSH_CONFIG"];
    const std::string remote_root = env["HPCEXEC_TC_WORK_DIR"] + "/ssh-bench-" + std::to_string(::getpid());
    const fs::path local_root = fs::temp_directory_path() / ("hpcexec-ssh-bench-" + std::to_string(::getpid()));
    fs::create_directories(local_root);
    const std::string control = (local_root / "cm-%C").string();

    auto make_executor = [&](bool via_gateway) {
        return hpcexec::HpcExecutor::from_config(json::value(
            json::object{{"ssh", cluster_ssh_section(env, via_gateway)}, {"work_dir", remote_root}}));
    };

    std::printf("hpcexec ssh connector benchmark (loopback, %d sequential calls)\n", calls);
    for (bool via_gateway : {false, true}) {
        const std::string alias = via_gateway ? "testlogin" : "testlogin-direct";
        const std::string route = via_gateway ? "through the gateway" : "direct";
        auto ex = make_executor(via_gateway);
        ex->init();
        auto connector = ex->connector();
        auto& loop = ex->kernel()->loop();
        std::printf("\n[%s]\n", route.c_str());

        std::vector<double> ours;
        for (int i = 0; i < calls; ++i) {
            auto start = Clock::now();
            loop.sync_wait(connector->run(hpcexec::CommandSpec{std::string("true"), "", {}, "", std::nullopt}));
            ours.push_back(seconds_since(start));
        }
        const std::string ssh_base = "ssh -F " + ssh_config + " ";
        sh(ssh_base + "-o ControlMaster=auto -o ControlPersist=60 -o ControlPath=" + control + " " + alias + " true");
        std::vector<double> master;
        int master_calls = quick ? 20 : std::min(calls, 200);
        for (int i = 0; i < master_calls; ++i) {
            master.push_back(time_sh(ssh_base + "-o ControlMaster=no -o ControlPath=" + control + " " + alias + " true"));
        }
        std::vector<double> fresh;
        for (int i = 0; i < (quick ? 5 : 20); ++i) {
            fresh.push_back(time_sh(ssh_base + "-o ControlMaster=no -o ControlPath=none " + alias + " true"));
        }
        row("median run(\"true\") [ms]", median(ours) * 1000, median(master) * 1000, "ssh ControlMaster", "ms");
        row("median run(\"true\") [ms]", median(ours) * 1000, median(fresh) * 1000, "fresh ssh per call", "ms");

        auto start = Clock::now();
        std::vector<std::future<hpcexec::CommandResult>> runs;
        for (int i = 0; i < 100; ++i) {
            runs.push_back(boost::asio::co_spawn(
                loop.context(), connector->run(hpcexec::CommandSpec{std::string("true"), "", {}, "", std::nullopt}),
                boost::asio::use_future));
        }
        for (auto& r : runs) r.get();
        double concurrent = seconds_since(start);
        std::vector<std::future<int>> ssh_runs;
        start = Clock::now();
        for (int i = 0; i < 100; ++i) {
            ssh_runs.push_back(std::async(std::launch::async, [&] {
                return std::system((ssh_base + "-o ControlMaster=no -o ControlPath=" + control + " " + alias +
                                    " true").c_str());
            }));
        }
        for (auto& r : ssh_runs) r.get();
        double ssh_concurrent = seconds_since(start);
        row("100 concurrent run(\"true\") wall [s]", concurrent, ssh_concurrent, "100 ssh via ControlMaster", "s ");
        sh(ssh_base + "-o ControlPath=" + control + " -O exit " + alias + " 2>/dev/null");

        // 2,000 x 1 KB.
        const fs::path tree = local_root / "tree";
        if (!fs::exists(tree)) {
            std::mt19937 random(1);
            for (int i = 0; i < 2000; ++i) {
                fs::create_directories(tree / ("d" + std::to_string(i % 20)));
                std::ofstream(tree / ("d" + std::to_string(i % 20)) / ("f" + std::to_string(i))) << std::string(1024, static_cast<char>('a' + random() % 26));
            }
        }
        const std::string remote = remote_root + "/" + (via_gateway ? "gw" : "direct");
        start = Clock::now();
        ex->upload(tree, remote + "/ours");
        double up = seconds_since(start);
        double sftp_up = time_sh("ssh -F " + ssh_config + " " + alias + " mkdir -p " + remote + "/sftp && echo 'put -r " +
                                 tree.string() + " " + remote + "/sftp' | sftp -q -F " + ssh_config + " -b - " + alias +
                                 " >/dev/null");
        double scp_up = time_sh("scp -q -r -F " + ssh_config + " " + tree.string() + " " + alias + ":" + remote + "/scp");
        double tar_up = time_sh("tar -C " + tree.string() + " -cf - . | ssh -F " + ssh_config + " " + alias +
                                " 'mkdir -p " + remote + "/tar && tar -C " + remote + "/tar -xf -'");
        row("upload 2,000 x 1 KB [s]", up, sftp_up, "sftp put -r", "s ");
        row("upload 2,000 x 1 KB [s]", up, scp_up, "scp -r", "s ");
        row("upload 2,000 x 1 KB [s]", up, tar_up, "tar c | ssh tar x", "s ");
        fs::remove_all(local_root / "down");
        start = Clock::now();
        ex->download(remote + "/ours", local_root / "down" / "ours");
        double down = seconds_since(start);
        fs::create_directories(local_root / "down" / "sftp");
        double sftp_down = time_sh("echo 'get -r " + remote + "/sftp " + (local_root / "down" / "sftp").string() +
                                   "' | sftp -q -F " + ssh_config + " -b - " + alias + " >/dev/null");
        double scp_down = time_sh("scp -q -r -F " + ssh_config + " " + alias + ":" + remote + "/scp " +
                                  (local_root / "down" / "scp").string());
        fs::create_directories(local_root / "down" / "tar");
        double tar_down = time_sh("ssh -F " + ssh_config + " " + alias + " 'tar -C " + remote + "/tar -cf - .' | tar -C " +
                                  (local_root / "down" / "tar").string() + " -xf -");
        row("download 2,000 x 1 KB [s]", down, sftp_down, "sftp get -r", "s ");
        row("download 2,000 x 1 KB [s]", down, scp_down, "scp -r", "s ");
        row("download 2,000 x 1 KB [s]", down, tar_down, "ssh tar c | tar x", "s ");

        // 200 MB.
        const fs::path big = local_root / "big.bin";
        const double megabytes = quick ? 50 : 200;
        if (!fs::exists(big)) sh("head -c " + std::to_string(static_cast<long>(megabytes) * 1048576) + " /dev/urandom > " + big.string());
        start = Clock::now();
        ex->upload(big, remote + "/big.ours");
        double big_up = seconds_since(start);
        double scp_big_up = time_sh("scp -q -F " + ssh_config + " " + big.string() + " " + alias + ":" + remote + "/big.scp");
        row("upload " + std::to_string(static_cast<int>(megabytes)) + " MB [MB/s]", megabytes / big_up,
            megabytes / scp_big_up, "scp", "MB/s", true);
        start = Clock::now();
        ex->download(remote + "/big.ours", (local_root / "big.back").string());
        double big_down = seconds_since(start);
        double scp_big_down = time_sh("scp -q -F " + ssh_config + " " + alias + ":" + remote + "/big.scp " +
                                      (local_root / "big.scp").string());
        row("download " + std::to_string(static_cast<int>(megabytes)) + " MB [MB/s]", megabytes / big_down,
            megabytes / scp_big_down, "scp", "MB/s", true);
    }
    fs::remove_all(local_root);
    fs::remove_all(remote_root);
    return 0;
}
