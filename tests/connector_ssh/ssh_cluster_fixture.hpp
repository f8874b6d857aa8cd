// What the SSH connector's cluster tests share: the test cluster's settings (from its env.sh), executor
// configurations for the three routes (direct, one gateway, two gateways), and small helpers.
#pragma once

#include "common/test_cluster.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace ssh_test {

namespace fs = std::filesystem;
namespace json = boost::json;

/// How a test reaches the login node.
enum class Route { direct = 0, one_gateway = 1, two_gateways = 2 };  // the value is the number of gateways

inline std::string route_name(Route route) {
    switch (route) {
    case Route::direct: return "Direct";
    case Route::one_gateway: return "OneGateway";
    case Route::two_gateways: return "TwoGateways";
    }
    return "?";
}

inline std::string run_shell(const std::string& command) {
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return output;
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    ::pclose(pipe);
    return output;
}

class SshClusterTest : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
        env_ = hpcexec::test::test_cluster_env();
        ASSERT_FALSE(env_["HPCEXEC_TC_KEY"].empty()) << "no HPCEXEC_TC_KEY in " << hpcexec::test::cluster_env_path();
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = std::string(info->test_suite_name()) + "." + info->name();
        for (auto& c : name) {
            if (c == '/') c = '_';
        }
        // Remote and local scratch places; the remote one is in the cluster's world-writable work directory.
        remote_dir_ = env_["HPCEXEC_TC_WORK_DIR"] + "/ssh-tests/" + name + "-" + std::to_string(::getpid());
        local_dir_ = fs::temp_directory_path() / ("hpcexec-ssh-test-" + std::to_string(::getpid()) + "-" + name);
        fs::remove_all(local_dir_);
        fs::create_directories(local_dir_);
    }

    void TearDown() override {
        if (!local_dir_.empty()) fs::remove_all(local_dir_);
        if (!remote_dir_.empty()) fs::remove_all(remote_dir_);  // same machine: cleaning up directly is fine
    }

    const std::string& env(const std::string& name) { return env_[name]; }
    std::string host(const std::string& port_var) {
        return env("HPCEXEC_TC_USER") + "@" + env("HPCEXEC_TC_HOST") + ":" + env(port_var);
    }

    /// The `ssh` section reaching the login node by `route`. Gateways inherit the key and known_hosts.
    json::object ssh_section(Route route = Route::direct) {
        return hpcexec::test::cluster_ssh_section(env_, static_cast<int>(route));
    }

    std::shared_ptr<hpcexec::HpcExecutor> executor(const json::object& ssh) {
        json::object document{{"ssh", ssh}, {"work_dir", remote_dir_}};
        return hpcexec::HpcExecutor::from_config(json::value(document));
    }
    std::shared_ptr<hpcexec::HpcExecutor> executor(Route route = Route::direct) { return executor(ssh_section(route)); }

    /// Runs a connector coroutine on the kernel's loop and waits for it.
    template <class T>
    T wait(const std::shared_ptr<hpcexec::HpcExecutor>& ex, boost::asio::awaitable<T> operation) {
        return ex->kernel()->loop().sync_wait(std::move(operation));
    }

    /// Runs tools/testcluster/ctl.sh COMMAND; fails the test if it fails.
    void ctl(const std::string& command) {
        // This checkout's script (env.sh names the one of whichever checkout started the cluster).
        std::string line = std::string("bash ") + HPCEXEC_SOURCE_DIR + "/tools/testcluster/ctl.sh " + command +
                           " >/dev/null 2>&1";
        ASSERT_EQ(std::system(line.c_str()), 0) << line;
    }

    /// Lines of a log file (sshd logs), for counting what happened during a test.
    static std::size_t count_lines_containing(const std::string& file, const std::string& text) {
        std::ifstream in(file);
        std::string line;
        std::size_t count = 0;
        while (std::getline(in, line)) {
            if (line.find(text) != std::string::npos) ++count;
        }
        return count;
    }

    std::map<std::string, std::string> env_;
    std::string remote_dir_;
    fs::path local_dir_;
};

/// Measures how long a block takes.
class Stopwatch {
public:
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace ssh_test
