// A client process for the exactly-once tests: submits jobs with checkpoint keys and waits for them, so the tests
// can kill it (HPCEXEC_FAULT_INJECTION=<step>) and run it again.
//
//   exactly_once_client WORK_DIR STORE_KIND STORE_PATH KEY_PREFIX COUNT [submit-only] [SQUEUE_BIN]
//
// Prints "<key> <job id> <final state>" per job (only "<key> <job id>" with submit-only).
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc < 6) {
        std::cerr << "usage: exactly_once_client WORK_DIR STORE_KIND STORE_PATH KEY_PREFIX COUNT [submit-only] [SQUEUE_BIN]\n";
        return 2;
    }
    std::string work_dir = argv[1], store_kind = argv[2], store_path = argv[3], prefix = argv[4];
    int count = std::stoi(argv[5]);
    bool submit_only = argc > 6 && std::string(argv[6]) == "submit-only";
    std::string squeue = argc > 7 ? argv[7] : "squeue";
    try {
        auto executor = hpcexec::HpcExecutor::from_config_text(
            "queue_system: {slurm: {polling_interval: 1, squeue_bin: '" + squeue + "'}}\n"
            "checkpoint: {" + store_kind + ": {path: '" + store_path + "'}}\n"
            "work_dir: '" + work_dir + "'\n");
        std::vector<hpcexec::Job> jobs;
        for (int i = 0; i < count; ++i) {
            hpcexec::SubmitOptions options;
            options.checkpoint_key = prefix + std::to_string(i);
            // Jobs submitted to be reattached later are held back a little, so they are still pending then.
            if (submit_only) options.extra_args = {"--begin=now+3"};
            jobs.push_back(executor->submit("#!/bin/bash\necho job " + std::to_string(i) + "\n", options));
        }
        for (int i = 0; i < count; ++i) {
            std::cout << prefix << i << " " << jobs[i].id();
            if (!submit_only) std::cout << " " << hpcexec::to_string(jobs[i].result(std::chrono::minutes(3)).state);
            std::cout << "\n";
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "exactly_once_client: " << e.what() << "\n";
        return 1;
    }
}
