// What the benchmark programs share: the running test cluster's settings and small statistics.
#pragma once

#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace hpcexec::bench {

/// The median (the upper one of an even count); 0 for no values.
inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

/// The HPCEXEC_TC_* variables of the running test cluster's env.sh; empty when it is not running.
inline std::map<std::string, std::string> cluster_env() {
    const char* dir = std::getenv("HPCEXEC_TESTCLUSTER_DIR");
    std::ifstream in(std::string(dir ? dir : "/tmp/hpcexec-testcluster") + "/env.sh");
    std::map<std::string, std::string> vars;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("export ", 0) != 0) continue;
        auto eq = line.find('=');
        if (eq != std::string::npos) vars[line.substr(7, eq - 7)] = line.substr(eq + 1);
    }
    return vars;
}

/// The `ssh` section reaching the cluster's login node, directly or through its gateway (which inherits the key
/// and known_hosts); ~/.ssh/config is not read, so the figures do not depend on the machine's own settings.
inline boost::json::object cluster_ssh_section(std::map<std::string, std::string> env, bool via_gateway) {
    const std::string user_host = env["HPCEXEC_TC_USER"] + "@" + env["HPCEXEC_TC_HOST"] + ":";
    boost::json::object ssh{{"host", user_host + env["HPCEXEC_TC_LOGIN_PORT"]},
                            {"identity_file", env["HPCEXEC_TC_KEY"]},
                            {"known_hosts", env["HPCEXEC_TC_KNOWN_HOSTS"]},
                            {"ssh_config_file", "none"}};
    if (via_gateway) ssh["gateway"] = boost::json::object{{"host", user_host + env["HPCEXEC_TC_GATEWAY_PORT"]}};
    return ssh;
}

}  // namespace hpcexec::bench
