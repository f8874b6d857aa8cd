// The fixture of the Slurm tests on the local test cluster.
#pragma once

#include "common/test_cluster.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

namespace hpcexec::test {

class SlurmCluster : public ::testing::Test {
protected:
    void SetUp() override {
        env_ = hpcexec::test::test_cluster_env();
        setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        work_dir_ = env_["HPCEXEC_TC_WORK_DIR"] + "/slurm-test-" + info->name() + "-" + std::to_string(getpid());
    }
    std::shared_ptr<HpcExecutor> make_executor(const std::string& slurm_options = "polling_interval: 1") {
        return HpcExecutor::from_config_text("queue_system: {slurm: {" + slurm_options + "}}\nwork_dir: '" + work_dir_ +
                                             "'\n");
    }
    // Asks Slurm directly (not through hpcexec) whether it still knows a job.
    bool slurm_knows(HpcExecutor& executor, const std::string& id) {
        hpcexec::RunOptions options;
        options.check = false;
        return executor.run_argv({"squeue", "--noheader", "--states=all", "-j", id}, options).exit_status == 0;
    }
    std::map<std::string, std::string> env_;
    std::string work_dir_;
};

}  // namespace hpcexec::test
