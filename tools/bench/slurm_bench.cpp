// Benchmark of the Slurm queue plugin and the status poller on the local test cluster (not a test: it prints
// figures and ratios against baselines measured in the same run).
//
//   slurm_bench [--tracked N] [--submit N] [--delay-jobs N]
//
// Needs the local test cluster (tools/testcluster/start.sh) and HPCEXEC_PLUGIN_PATH pointing at the plugins
// (tools/bench/run.sh sets both up).
#include "bench_support.hpp"
#include "slurm_output.hpp"

#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <future>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

using hpcexec::bench::median;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

long resident_kib() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int count_lines(const fs::path& file) {
    std::ifstream in(file);
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
}

// A wrapper that counts its calls, then runs the real program.
std::string counting_wrapper(const fs::path& dir, const std::string& program) {
    fs::path wrapper = dir / ("counting-" + program);
    std::ofstream(wrapper) << "#!/bin/sh\necho call >> '" << (dir / (program + "-calls")).string() << "'\nexec " << program
                           << " \"$@\"\n";
    fs::permissions(wrapper, fs::perms::owner_all);
    return wrapper.string();
}

// The naive way to read squeue output: a stream and a string per field.
std::size_t parse_naive(const std::string& output) {
    std::istringstream lines(output);
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::vector<std::string> row;
        for (std::string field; std::getline(fields, field, '|');) row.push_back(field);
        rows.push_back(std::move(row));
    }
    return rows.size();
}

void bench_parse() {
    std::string output;
    for (int i = 0; i < 100000; ++i) output += std::to_string(1000000 + i) + "|PENDING|Priority|hpcexec-token-" + std::to_string(i) + "\n";
    std::vector<double> ours, naive;
    for (int round = 0; round < 5; ++round) {
        auto start = Clock::now();
        auto jobs = hpcexec::slurm::parse_squeue(output);
        ours.push_back(seconds_since(start) * 1000);
        if (jobs.size() != 100000) std::abort();
        start = Clock::now();
        if (parse_naive(output) != 100000) std::abort();
        naive.push_back(seconds_since(start) * 1000);
    }
    std::printf("parse 100,000 squeue lines:        %8.1f ms (goal < 50 ms); naive stream parser %.1f ms, ratio %.1fx\n",
                median(ours), median(naive), median(naive) / median(ours));
}

void bench_memory(const std::string& work_dir) {
    auto executor = hpcexec::HpcExecutor::from_config_text(
        "queue_system: {slurm: {polling_interval: 3600}}\nwork_dir: '" + work_dir + "/memory'\n");
    long before = resident_kib();
    std::vector<hpcexec::Job> jobs;
    jobs.reserve(10000);
    for (int i = 0; i < 10000; ++i) {
        hpcexec::JobRef ref{std::to_string(5000000 + i), work_dir + "/memory/job" + std::to_string(i),
                            "job-0123456789abcdef.sbatch"};
        jobs.push_back(executor->attach(ref, "#!/bin/bash\n#SBATCH -N 1\necho " + std::to_string(i) + "\n"));
    }
    long after = resident_kib();
    std::printf("resident memory, 10,000 tracked:   %8.1f MB process total, %.1f MB for the jobs (goal < 64 MB)\n",
                after / 1024.0, (after - before) / 1024.0);
}

void bench_polling(const std::string& work_dir, int tracked) {
    fs::create_directories(work_dir + "/polling");
    std::string squeue = counting_wrapper(work_dir + "/polling", "squeue");
    auto executor = hpcexec::HpcExecutor::from_config_text("queue_system: {slurm: {polling_interval: 1, squeue_bin: '" +
                                                           squeue + "'}}\nwork_dir: '" + work_dir + "/polling'\n");
    hpcexec::SubmitOptions held;
    held.extra_args = {"--hold"};  // they stay PENDING while we count
    std::vector<hpcexec::Job> jobs;
    auto start = Clock::now();
    for (int i = 0; i < tracked; ++i) {
        held.cwd = "j" + std::to_string(i % 50);
        jobs.push_back(executor->submit("#!/bin/bash\necho " + std::to_string(i) + "\n", held));
    }
    double submit_seconds = seconds_since(start);
    fs::path calls = work_dir + "/polling/squeue-calls";
    std::this_thread::sleep_for(1500ms);  // let the first interval pass
    int calls_before = count_lines(calls);
    const int intervals = 5;
    std::this_thread::sleep_for(std::chrono::seconds(intervals));
    int per_interval_x10 = (count_lines(calls) - calls_before) * 10 / intervals;
    std::printf("squeue calls per interval, %d tracked: %d.%d (goal 1); a per-job poller: %d, ratio %dx\n", tracked,
                per_interval_x10 / 10, per_interval_x10 % 10, tracked, per_interval_x10 ? tracked * 10 / per_interval_x10 : 0);
    std::printf("  (submitting those %d held jobs took %.1f s)\n", tracked, submit_seconds);
    std::vector<std::string> ids;
    for (auto& job : jobs) ids.push_back(job.id());
    for (std::size_t i = 0; i < ids.size(); i += 200) {
        std::vector<std::string> argv{"scancel"};
        argv.insert(argv.end(), ids.begin() + i, ids.begin() + std::min(ids.size(), i + 200));
        executor->run_argv(argv);
    }
}

// Submits `count` held jobs one after another (init() first, so that only the submissions are timed); returns
// their ids and the seconds they took.
std::pair<std::vector<std::string>, double> submit_held(hpcexec::HpcExecutor& executor, int count) {
    executor.init();
    hpcexec::SubmitOptions held;
    held.extra_args = {"--hold"};
    std::vector<std::string> ids;
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) ids.push_back(executor.submit("#!/bin/bash\ntrue " + std::to_string(i) + "\n", held).id());
    return {ids, seconds_since(start)};
}

// The same with all `count` submissions started at once (submit_async on the kernel's loop): what a workflow that
// submits a batch of jobs together waits for.
std::pair<std::vector<std::string>, double> submit_held_at_once(hpcexec::HpcExecutor& executor, int count) {
    executor.init();
    hpcexec::SubmitOptions held;
    held.extra_args = {"--hold"};
    held.cwd = "at-once";
    std::vector<std::future<hpcexec::Job>> submissions;
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        std::string script = "#!/bin/bash\ntrue at once " + std::to_string(i) + "\n";
        submissions.push_back(boost::asio::co_spawn(executor.kernel()->loop().executor(),
                                                    executor.submit_async(script, held), boost::asio::use_future));
    }
    std::vector<std::string> ids;
    for (auto& submission : submissions) ids.push_back(submission.get().id());
    return {ids, seconds_since(start)};
}

void bench_submit(const std::string& work_dir, int count) {
    auto executor = hpcexec::HpcExecutor::from_config_text("queue_system: {slurm: {polling_interval: 1}}\nwork_dir: '" +
                                                           work_dir + "/submit'\n");
    auto [ids, ours] = submit_held(*executor, count);
    auto [ids_at_once, at_once] = submit_held_at_once(*executor, count);
    ids.insert(ids.end(), ids_at_once.begin(), ids_at_once.end());
    // Baseline: the bare minimum by hand, one process per call: sbatch --wrap from a shell.
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        std::string line = "cd '" + work_dir + "/submit' && sbatch --parsable --hold --wrap 'true' >> baseline-ids";
        if (std::system(line.c_str()) != 0) std::abort();
    }
    double baseline = seconds_since(start);
    std::printf("submit %d jobs (local connector):  %8.2f s one after another, %.2f s all at once (goal < 2 s), "
                "1 remote command each; bare `sbatch --wrap` via system(): %.2f s, ratio %.2fx / %.2fx\n", count, ours,
                at_once, baseline, baseline / ours, baseline / at_once);
    std::string all_ids;
    for (auto& id : ids) all_ids += id + " ";
    executor->run("scancel $(cat baseline-ids) " + all_ids);
}

// The same through the SSH connector via the gateway (as the cluster's user), against one `ssh` process per job
// through the same gateway (OpenSSH's ProxyJump, from the cluster's ssh_config).
void bench_submit_ssh(int count) {
    auto env = hpcexec::bench::cluster_env();
    if (env.empty()) {
        std::printf("submit %d jobs (ssh via gateway): skipped, the test cluster is not running\n", count);
        return;
    }
    const std::string work_dir = env["HPCEXEC_TC_WORK_DIR"] + "/slurm-bench-ssh-" + std::to_string(getpid());
    boost::json::object document{{"ssh", hpcexec::bench::cluster_ssh_section(env, true)},
                                 {"work_dir", work_dir},
                                 {"queue_system", {{"slurm", {{"polling_interval", 1}}}}}};
    auto executor = hpcexec::HpcExecutor::from_config(boost::json::value(document));
    auto [ids, ours] = submit_held(*executor, count);
    auto [ids_at_once, at_once] = submit_held_at_once(*executor, count);
    ids.insert(ids.end(), ids_at_once.begin(), ids_at_once.end());
    const std::string baseline_ids = work_dir + "/baseline-ids";
    auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        std::string line = "ssh -F '" + env["HPCEXEC_TC_SSH_CONFIG"] + "' testlogin \"cd '" + work_dir +
                           "' && sbatch --parsable --hold --wrap true\" >> '" + baseline_ids + "'";
        if (std::system(line.c_str()) != 0) std::abort();
    }
    double baseline = seconds_since(start);
    std::printf("submit %d jobs (ssh via gateway):  %8.2f s one after another, %.2f s all at once (goal < 2 s), "
                "1 remote command each; `ssh -J gateway login sbatch --wrap` per job: %.2f s, ratio %.2fx / %.2fx\n",
                count, ours, at_once, baseline, baseline / ours, baseline / at_once);
    std::string all_ids;
    for (auto& id : ids) all_ids += id + " ";
    executor->run("scancel $(cat baseline-ids) " + all_ids);
    executor->run_argv({"rm", "-rf", work_dir});
}

void bench_delay(const std::string& work_dir, int count) {
    auto executor = hpcexec::HpcExecutor::from_config_text("queue_system: {slurm: {polling_interval: 1}}\nwork_dir: '" +
                                                           work_dir + "/delay'\n");
    std::vector<hpcexec::Job> jobs;
    for (int i = 0; i < count; ++i) {
        hpcexec::SubmitOptions options;
        options.cwd = "j" + std::to_string(i);
        jobs.push_back(executor->submit("#!/bin/bash\nsleep " + std::to_string(2 + i % 3) +
                                        "\ndate +%s.%N > end.txt\n", options));
    }
    std::vector<double> delays(count);
    double cpu_before = cpu_seconds();
    auto wall_start = Clock::now();
    std::vector<std::thread> waiters;
    for (int i = 0; i < count; ++i) {
        waiters.emplace_back([&, i] {
            jobs[i].result(120s);
            auto now = std::chrono::system_clock::now().time_since_epoch();
            double returned = std::chrono::duration<double>(now).count();
            double ended = std::stod(executor->load_text("j" + std::to_string(i) + "/end.txt"));
            delays[i] = returned - ended;
        });
    }
    for (auto& t : waiters) t.join();
    double cpu = cpu_seconds() - cpu_before;
    double wall = seconds_since(wall_start);
    std::printf("delay job end -> result() returns: median %.2f s over %d jobs (goal < 1.5 s, polling 1 s); "
                "CPU while waiting %.1f%% of one core\n", median(delays), count, 100 * cpu / wall);
}

}  // namespace

int main(int argc, char** argv) {
    int tracked = 1000, submit = 100, delay_jobs = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--tracked")) tracked = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--submit")) submit = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--delay-jobs")) delay_jobs = std::atoi(argv[i + 1]);
    }
    const char* base = std::getenv("HPCEXEC_TC_WORK_DIR");
    std::string work_dir = std::string(base ? base : "/tmp") + "/slurm-bench-" + std::to_string(getpid());
    try {
        bench_memory(work_dir);  // first: later benchmarks leave freed memory that would hide its growth
        bench_parse();
        bench_submit(work_dir, submit);
        bench_submit_ssh(submit);
        bench_delay(work_dir, delay_jobs);
        bench_polling(work_dir, tracked);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "slurm_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
