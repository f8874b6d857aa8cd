// The OpenSSH configuration parser and the resolution of the connector's settings into hops (no server needed).
#include "connection_settings.hpp"
#include "ssh_config_file.hpp"

#include <hpcexec/errors.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

using hpcexec::ssh::HostKeyPolicy;
using hpcexec::ssh::resolve_connection;
using hpcexec::ssh::SshConfigFile;
namespace fs = std::filesystem;
namespace json = boost::json;

TEST(SshConfigFile, FirstValueWinsIdentityFilesAccumulate) {
    auto file = SshConfigFile::parse(R"(
# comment
Host login "other alias"
    HostName=10.0.0.5
    Port 2200
    IdentityFile ~/.ssh/login_key
Host log*
    User alice
    Port 9999
    IdentityFile "/keys/with space"
Host *
    User nobody
    UserKnownHostsFile /kh/one /kh/two
    ProxyJump jump1,bob@jump2:2022
)", "/home/me");
    auto entry = file.lookup("login");
    EXPECT_EQ(entry.host_name, "10.0.0.5");
    EXPECT_EQ(entry.port, 2200);
    EXPECT_EQ(entry.user, "alice");
    ASSERT_EQ(entry.identity_files.size(), 2u);
    EXPECT_EQ(entry.identity_files[1], "/keys/with space");
    ASSERT_EQ(entry.user_known_hosts_files.size(), 2u);
    EXPECT_EQ(entry.proxy_jump, "jump1,bob@jump2:2022");
    EXPECT_EQ(file.lookup("other alias").host_name, "10.0.0.5");
    EXPECT_EQ(file.lookup("elsewhere").user, "nobody");
    EXPECT_FALSE(file.lookup("elsewhere").host_name);
}

TEST(SshConfigFile, NegationAndMatch) {
    auto file = SshConfigFile::parse(R"(
Host *.example.org !secret.example.org
    User web
Match host secret.*
    User root-ish
Match exec "true"
    User never
Match all
    Port 23
)", "/home/me");
    EXPECT_EQ(file.lookup("a.example.org").user, "web");
    EXPECT_EQ(file.lookup("secret.example.org").user, "root-ish");
    EXPECT_EQ(file.lookup("x").user, std::nullopt);
    EXPECT_EQ(file.lookup("x").port, 23);
}

TEST(SshConfigFile, WildcardMatching) {
    using hpcexec::ssh::wildcard_match;
    EXPECT_TRUE(wildcard_match("login01.cluster", "login??.*"));
    EXPECT_TRUE(wildcard_match("LOGIN", "login"));
    EXPECT_FALSE(wildcard_match("login", "login?"));
    EXPECT_TRUE(wildcard_match("", "*"));
    // Pathological patterns stay fast (no exponential backtracking).
    EXPECT_FALSE(wildcard_match(std::string(5000, 'a'), std::string(2000, '*') + "b"));
}

TEST(SshConfigFile, FuzzedInputNeverCrashes) {
    std::mt19937 random(7);
    const std::string alphabet = "Host Match all Include = \" ' # * ? ! , \n\t Port HostName User 12 % ~ / a b";
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        int length = static_cast<int>(random() % 400);
        for (int i = 0; i < length; ++i) {
            if (random() % 4 == 0) text += static_cast<char>(random() % 256);
            else text += alphabet[random() % alphabet.size()];
        }
        auto file = SshConfigFile::parse(text, "/nonexistent-home");
        (void)file.lookup("a");
        (void)file.lookup("");
    }
}

TEST(SshConfigFile, IncludeCycleIsBounded) {
    fs::path dir = fs::temp_directory_path() / ("hpcexec-sshconfig-" + std::to_string(::getpid()));
    fs::create_directories(dir / ".ssh");
    std::ofstream(dir / ".ssh" / "loop") << "Include loop\nInclude loop\nHost x\n  User looped\n";
    auto file = SshConfigFile::parse("Include loop\n", dir);
    EXPECT_EQ(file.lookup("x").user, "looped");
    fs::remove_all(dir);
}

namespace {

json::value parse(const std::string& text) { return json::parse(text); }

}  // namespace

TEST(ResolveConnection, ShorthandKeysAndNestedGateways) {
    auto hops = resolve_connection(parse(R"({"host": "alice@login:2223", "identity_file": ["/k/a"],
        "known_hosts": "/kh", "ssh_config_file": "none", "connect_timeout": 3,
        "gateway": {"host": "gw1", "user": "bob", "gateway": {"host": "carol@[::1]:2022", "password": "pw"}}})"),
                                   "ssh");
    ASSERT_EQ(hops.size(), 3u);
    // The deepest gateway is the first hop.
    EXPECT_EQ(hops[0].label(), "carol@[::1]:2022");
    EXPECT_EQ(hops[1].label(), "bob@gw1:22");
    EXPECT_EQ(hops[2].label(), "alice@login:2223");
    // Gateways inherit keys, known_hosts and timeouts, never a password.
    EXPECT_EQ(hops[0].identity_files, std::vector<std::string>{"/k/a"});
    EXPECT_EQ(hops[0].known_hosts_files, std::vector<std::string>{"/kh"});
    EXPECT_EQ(hops[0].connect_timeout, std::chrono::seconds(3));
    EXPECT_EQ(hops[0].password, "pw");
    EXPECT_FALSE(hops[1].password);
    EXPECT_EQ(hops[2].max_channels, 8);
    EXPECT_EQ(hops[2].host_key_policy, HostKeyPolicy::strict);
}

TEST(ResolveConnection, OpenSshConfigAliasAndProxyJumpChain) {
    fs::path dir = fs::temp_directory_path() / ("hpcexec-resolve-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::ofstream(dir / "config") << R"(
Host cluster
    HostName login.example.org
    Port 2201
    User alice
    IdentityFile %d/.ssh/cluster_%r
    ProxyJump jump1,jump2
Host jump1
    HostName j1.example.org
    User jumper
Host jump2
    Port 2022
    ProxyJump ignored-because-chained
Host *
    StrictHostKeyChecking accept-new
)";
    auto hops = resolve_connection(parse(R"({"host": "cluster", "ssh_config_file": ")" + (dir / "config").string() +
                                         R"("})"),
                                   "ssh");
    ASSERT_EQ(hops.size(), 3u);
    EXPECT_EQ(hops[0].label(), "jumper@j1.example.org:22");
    EXPECT_EQ(hops[1].host, "jump2");
    EXPECT_EQ(hops[1].port, 2022);
    EXPECT_EQ(hops[2].label(), "alice@login.example.org:2201");
    ASSERT_EQ(hops[2].identity_files.size(), 1u);
    EXPECT_NE(hops[2].identity_files[0].find("/.ssh/cluster_alice"), std::string::npos);
    EXPECT_EQ(hops[2].host_key_policy, HostKeyPolicy::accept_new);
    fs::remove_all(dir);
}

TEST(ResolveConnection, BadValuesNameTheirKeyPath) {
    try {
        resolve_connection(parse(R"({"host": "h:99999", "ssh_config_file": "none"})"), "ssh");
        FAIL();
    } catch (const hpcexec::ConfigError& e) {
        EXPECT_EQ(e.key_path(), "ssh.host");
    }
    try {
        resolve_connection(parse(R"({"host": "h", "ssh_config_file": "none", "gateway": {"host": "g", "prot": 1}})"),
                           "ssh");
        FAIL();
    } catch (const hpcexec::ConfigError& e) {
        EXPECT_EQ(e.key_path(), "ssh.gateway.prot");
    }
}
