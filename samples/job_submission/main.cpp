// Batch jobs two ways: a raw script with its own #SBATCH lines, and a script built with BashScript (steps, a step
// in its own directory, a step checkpoint that makes a resubmitted script skip what it already did). Both are
// waited for, and their output read back.
//
//   job_submission CONFIG_FILE [CLUSTER_NAME]       (the configuration needs a queue_system, e.g. slurm)
#include <hpcexec/bash_script.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <chrono>
#include <iostream>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: job_submission CONFIG_FILE [CLUSTER_NAME]\n";
        return 2;
    }
    try {
        auto executor = hpcexec::HpcExecutor::from_config_file(argv[1], argc > 2 ? argv[2] : "");

        // 1. A raw script: written into cwd as job-<content hash>.sbatch and submitted there.
        hpcexec::SubmitOptions raw_options;
        raw_options.cwd = "raw";
        hpcexec::Job raw = executor->submit("#!/bin/bash\n"
                                            "#SBATCH --job-name=raw-sample\n"
                                            "#SBATCH --ntasks=1\n"
                                            "echo \"hello from job $SLURM_JOB_ID\" > hello.txt\n",
                                            raw_options);
        hpcexec::JobStatus raw_status = raw.result(120s);
        std::cout << "raw script: " << hpcexec::to_string(raw_status.state) << ", hello.txt says "
                  << (executor->load_text("raw/hello.txt") == "hello from job " + raw.id() + "\n" ? "hello" : "?")
                  << "\n";

        // 2. A BashScript: header, setup, steps; the second step runs in its own directory, the third is
        //    checkpointed (a resubmission would skip it once it has succeeded).
        hpcexec::BashScript script;
        script.templ.header = "#SBATCH --job-name=bash-sample\n#SBATCH --ntasks=1";
        script.templ.setup = "set -u\nexport GREETING='hello world'";
        hpcexec::BashStep prepare;
        prepare.cmd = std::vector<std::string>{"mkdir", "-p", "data dir"};  // argv: every element shell-quoted
        hpcexec::BashStep write;
        write.cwd = "data dir";
        write.cmd = "echo \"$GREETING\" > greeting.txt";
        hpcexec::BashStep count;
        count.checkpoint = "count";
        count.cmd = "wc -c < 'data dir/greeting.txt' > size.txt";
        script.steps = {prepare, write, count};
        hpcexec::SubmitOptions bash_options;
        bash_options.cwd = "bash";
        hpcexec::Job built = executor->submit(script.render(), bash_options);
        hpcexec::JobStatus built_status = built.result(120s);
        std::cout << "BashScript: " << hpcexec::to_string(built_status.state) << ", greeting.txt = "
                  << executor->load_text("bash/data dir/greeting.txt") << "size.txt = "
                  << executor->load_text("bash/size.txt") << "step checkpoint: "
                  << executor->glob("bash/count.checkpoint").size() << " file\n";
        return built_status.state == hpcexec::JobState::completed && raw_status.state == hpcexec::JobState::completed
                   ? 0
                   : 1;
    } catch (const std::exception& e) {
        std::cerr << "job_submission: " << e.what() << "\n";
        return 1;
    }
}
