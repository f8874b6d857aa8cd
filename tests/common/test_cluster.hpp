// Access to the local test cluster (tools/testcluster/start.sh) from tests: its environment and fault injection.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace hpcexec::test {

/// Reads the cluster's env.sh (`export NAME=value` lines), sets every variable in this process (so Slurm commands
/// run through the local connector find SLURM_CONF) and returns them. Fails the test when the cluster is not up:
/// these tests exist to run against the real thing.
inline std::map<std::string, std::string> test_cluster_env() {
    const char* dir = std::getenv("HPCEXEC_TESTCLUSTER_DIR");
    std::string path = std::string(dir ? dir : "/tmp/hpcexec-testcluster") + "/env.sh";
    std::ifstream in(path);
    std::map<std::string, std::string> vars;
    if (!in) {
        ADD_FAILURE() << "the local test cluster is not running (" << path
                      << " missing): start it with tools/testcluster/start.sh";
        return vars;
    }
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("export ", 0) != 0) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string name = line.substr(7, eq - 7);
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) value = value.substr(1, value.size() - 2);
        vars[name] = value;
        setenv(name.c_str(), value.c_str(), 1);
    }
    return vars;
}

/// Runs tools/testcluster/ctl.sh COMMAND and fails the test if it fails.
inline void cluster_ctl(const std::string& command) {
    auto env = test_cluster_env();
    std::string line = "bash '" + env["HPCEXEC_TC_CTL"] + "' " + command + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(line.c_str()), 0) << "ctl.sh " << command << " failed";
}

}  // namespace hpcexec::test
