// Access to the local test cluster (tools/testcluster/start.sh) from tests: its environment, the SSH settings that
// reach its login node, and fault injection.
#pragma once

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace hpcexec::test {

/// The env.sh of the running test cluster.
inline std::string cluster_env_path() {
    const char* dir = std::getenv("HPCEXEC_TESTCLUSTER_DIR");
    return std::string(dir ? dir : "/tmp/hpcexec-testcluster") + "/env.sh";
}

/// The HPCEXEC_TC_* variables of env.sh (`export NAME=value` lines); empty when the cluster is not running.
inline std::map<std::string, std::string> read_cluster_env() {
    std::ifstream in(cluster_env_path());
    std::map<std::string, std::string> vars;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("export ", 0) != 0) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string value = line.substr(eq + 1);
        if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) value = value.substr(1, value.size() - 2);
        vars[line.substr(7, eq - 7)] = value;
    }
    return vars;
}

/// Reads env.sh, sets every variable in this process (so Slurm commands run through the local connector find
/// SLURM_CONF) and returns them. Fails the test when the cluster is not up: these tests exist to run against the
/// real thing.
inline std::map<std::string, std::string> test_cluster_env() {
    auto vars = read_cluster_env();
    if (vars.empty()) {
        ADD_FAILURE() << "the local test cluster is not running (" << cluster_env_path()
                      << " missing): start it with tools/testcluster/start.sh";
    }
    for (const auto& [name, value] : vars) setenv(name.c_str(), value.c_str(), 1);
    return vars;
}

/// The `ssh` configuration section reaching the cluster's login node as its test user, through `gateway_hops`
/// gateways (0: directly; 2: gateway -> gateway -> login). Gateways inherit the key and known_hosts.
inline boost::json::object cluster_ssh_section(std::map<std::string, std::string> env, int gateway_hops) {
    auto host = [&](const std::string& port_var) {
        return env["HPCEXEC_TC_USER"] + "@" + env["HPCEXEC_TC_HOST"] + ":" + env[port_var];
    };
    boost::json::object ssh{{"host", host("HPCEXEC_TC_LOGIN_PORT")},
                            {"identity_file", env["HPCEXEC_TC_KEY"]},
                            {"known_hosts", env["HPCEXEC_TC_KNOWN_HOSTS"]},
                            {"ssh_config_file", "none"},
                            {"connect_timeout", 5}};
    boost::json::object* innermost = &ssh;
    for (int hop = 0; hop < gateway_hops; ++hop) {
        // Each gateway is the same sshd: the deepest one is the first hop, which opens a channel to the next.
        (*innermost)["gateway"] = boost::json::object{{"host", host("HPCEXEC_TC_GATEWAY_PORT")}};
        innermost = &(*innermost)["gateway"].as_object();
    }
    return ssh;
}

/// Runs tools/testcluster/ctl.sh COMMAND and fails the test if it fails.
inline void cluster_ctl(const std::string& command) {
    auto env = test_cluster_env();
    std::string line = "bash '" + env["HPCEXEC_TC_CTL"] + "' " + command + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(line.c_str()), 0) << "ctl.sh " << command << " failed";
}

}  // namespace hpcexec::test
