// The seed's simple workflow, in C++: no workflow engine, plain asynchronous code that calls the executor.
//
//   1. prepare n work directories with an input number each (a Python function on the login node);
//   2. submit one job per directory that squares its number into an output file (a BashScript);
//   3. wait for all of them asynchronously, resubmitting a failed job up to a number of tries;
//   4. sum the outputs (another Python function on the login node) and print the sum.
//
//   simple_workflow CONFIG_FILE [CLUSTER_NAME] [--tasks N]
#include <hpcexec/bash_script.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>
#include <hpcexec/python.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <cstring>
#include <iostream>

namespace {

// The Python side: ordinary functions, shipped by source (a by-reference "package.module:function" works too).
const char* python_functions = R"(
import os

def prepare(work_dir, n):
    dirs = []
    for i in range(1, n + 1):
        d = os.path.join(work_dir, "tasks", "task-%03d" % i)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "input"), "w") as f:
            f.write(str(i))
        dirs.append(d)
    return dirs

def sum_outputs(dirs):
    return sum(int(open(os.path.join(d, "output")).read()) for d in dirs)
)";

boost::asio::awaitable<std::int64_t> workflow(std::shared_ptr<hpcexec::HpcExecutor> executor, std::string work_dir,
                                              int tasks) {
    auto prepare = executor->run_python_fn(hpcexec::PythonFunction::source(python_functions, "prepare"));
    auto sum_outputs = executor->run_python_fn(hpcexec::PythonFunction::source(python_functions, "sum_outputs"));

    // (Arguments are built before co_await: GCC 12 mis-compiles braced lists inside co_await expressions.)
    hpcexec::List prepare_args{work_dir, tasks};
    hpcexec::Value dirs = co_await prepare.call_async(prepare_args);

    hpcexec::BashScript script;
    script.templ.header = "#SBATCH --job-name=square\n#SBATCH --ntasks=1";
    hpcexec::BashStep square;
    square.cmd = "x=$(cat input)\necho $((x * x)) > output";
    script.steps = {square};

    const std::string rendered = script.render();
    std::vector<hpcexec::Job> jobs;
    for (const auto& dir : dirs.to<std::vector<std::string>>()) {
        hpcexec::SubmitOptions options;
        options.cwd = dir;
        hpcexec::Job job = co_await executor->submit_async(rendered, options);
        jobs.push_back(std::move(job));
    }
    // All jobs are awaited at once (one squeue per interval for all of them); a failed one is resubmitted once.
    co_await hpcexec::gather_jobs_async(jobs, /*max_tries=*/2, /*raise_error=*/true);

    hpcexec::List sum_args{dirs};
    hpcexec::Value total = co_await sum_outputs.call_async(sum_args);
    co_return total.to<std::int64_t>();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> positional;
    int tasks = 10;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--tasks") && i + 1 < argc) tasks = std::atoi(argv[++i]);
        else positional.emplace_back(argv[i]);
    }
    if (positional.empty()) {
        std::cerr << "usage: simple_workflow CONFIG_FILE [CLUSTER_NAME] [--tasks N]\n";
        return 2;
    }
    try {
        auto executor = hpcexec::HpcExecutor::from_config_file(positional[0], positional.size() > 1 ? positional[1] : "");
        executor->init();
        // The workflow's coroutines run on this program's own io_context; hpcexec's I/O runs on its own loop.
        boost::asio::io_context context;
        auto result = boost::asio::co_spawn(context, workflow(executor, executor->work_dir(), tasks),
                                            boost::asio::use_future);
        context.run();
        std::int64_t sum = result.get();
        std::cout << "sum of the squares of 1.." << tasks << " = " << sum << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "simple_workflow: " << e.what() << "\n";
        return 1;
    }
}
