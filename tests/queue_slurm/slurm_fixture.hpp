// The fixture of the Slurm tests on the local test cluster. Each test runs twice: through the local connector (as
// root on this machine) and through the SSH connector via the gateway to the login node (as the cluster's user).
#pragma once

#include "common/test_cluster.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/job.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

namespace hpcexec::test {

/// How the tests reach Slurm.
enum class SlurmRoute { local, ssh_via_gateway };

inline std::string slurm_route_name(const ::testing::TestParamInfo<SlurmRoute>& info) {
    return info.param == SlurmRoute::local ? "Local" : "SshViaGateway";
}

/// A per-test work directory on the cluster and executors reaching its Slurm.
class SlurmClusterTest : public ::testing::Test {
protected:
    void SetUp() override {
        env_ = hpcexec::test::test_cluster_env();
        setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = info->name();
        for (auto& c : name) {
            if (c == '/') c = '-';
        }
        // The cluster's work directory is world-writable: the SSH route writes there as the cluster's user.
        work_dir_ = env_["HPCEXEC_TC_WORK_DIR"] + "/slurm-test-" + name + "-" + std::to_string(getpid());
    }
    /// An executor reaching Slurm by `route`, with `slurm_options` for queue.slurm (YAML flow mapping content).
    std::shared_ptr<HpcExecutor> make_executor_on(SlurmRoute route, const std::string& slurm_options) {
        std::string config = "queue_system: {slurm: {" + slurm_options + "}}\nwork_dir: '" + work_dir_ + "'\n";
        if (route == SlurmRoute::ssh_via_gateway) {
            config += "ssh: " + boost::json::serialize(cluster_ssh_section(env_, 1)) + "\n";
        }
        return HpcExecutor::from_config_text(config);
    }
    // Asks Slurm directly (not through hpcexec's queue system) whether it still knows a job.
    bool slurm_knows(HpcExecutor& executor, const std::string& id) {
        hpcexec::RunOptions options;
        options.check = false;
        return executor.run_argv({"squeue", "--noheader", "--states=all", "-j", id}, options).exit_status == 0;
    }
    std::map<std::string, std::string> env_;
    std::string work_dir_;
};

/// The Slurm tests proper: each runs on both routes.
class SlurmCluster : public SlurmClusterTest, public ::testing::WithParamInterface<SlurmRoute> {
protected:
    std::shared_ptr<HpcExecutor> make_executor(const std::string& slurm_options = "polling_interval: 1") {
        return make_executor_on(GetParam(), slurm_options);
    }
};

}  // namespace hpcexec::test
