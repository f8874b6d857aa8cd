// Every way of not getting in gives its own clear error, within the connect timeout.
#include "ssh_cluster_fixture.hpp"

using namespace ssh_test;

namespace {

class SshConnectionErrorTest : public SshClusterTest {
protected:
    // Runs `true` with `ssh` and returns the ConnectionError's message (failing the test if there is none); checks
    // that the failure came within the connect timeout (5 s) plus a margin.
    std::string connection_error(const json::object& ssh) {
        Stopwatch watch;
        try {
            auto ex = executor(ssh);
            ex->run("true");
        } catch (const hpcexec::ConnectionError& e) {
            EXPECT_LT(watch.seconds(), 6.0) << e.what();
            return e.what();
        }
        ADD_FAILURE() << "connected although it should not";
        return {};
    }

    std::string write_known_hosts(const std::string& content) {
        fs::path file = local_dir_ / "known_hosts";
        std::ofstream(file) << content;
        return file.string();
    }

    std::string public_key(const std::string& file) {
        std::ifstream in(file);
        std::string type, blob;
        in >> type >> blob;
        return type + " " + blob;
    }
};

}  // namespace

TEST_F(SshConnectionErrorTest, HostKeyMismatchNamesHostTypeAndFingerprint) {
    // The gateway's ed25519 key recorded under the login node's name.
    std::string gateway_key = public_key(env("HPCEXEC_TESTCLUSTER_DIR") + "/sshd/gateway/ssh_host_ed25519_key.pub");
    auto ssh = ssh_section();
    ssh["known_hosts"] = write_known_hosts("[127.0.0.1]:" + env("HPCEXEC_TC_LOGIN_PORT") + " " + gateway_key + "\n");
    for (const char* policy : {"strict", "accept-new", "off"}) {
        if (std::string(policy) == "off") continue;  // off checks nothing, by definition
        ssh["host_key_checking"] = policy;
        std::string message = connection_error(ssh);
        EXPECT_NE(message.find("does NOT match"), std::string::npos) << message;
        EXPECT_NE(message.find("[127.0.0.1]:" + env("HPCEXEC_TC_LOGIN_PORT")), std::string::npos) << message;
        EXPECT_NE(message.find("ssh-ed25519"), std::string::npos) << message;
        EXPECT_NE(message.find("SHA256:"), std::string::npos) << message;
    }
}

TEST_F(SshConnectionErrorTest, UnknownHostIsRefusedUnderStrict) {
    auto ssh = ssh_section();
    ssh["known_hosts"] = write_known_hosts("");
    std::string message = connection_error(ssh);
    EXPECT_NE(message.find("unknown"), std::string::npos) << message;
    EXPECT_NE(message.find("strict"), std::string::npos) << message;
    EXPECT_NE(message.find("SHA256:"), std::string::npos) << message;
}

TEST_F(SshConnectionErrorTest, AcceptNewRecordsTheKeyThenStrictAcceptsIt) {
    auto ssh = ssh_section();
    std::string file = write_known_hosts("# empty\n");
    ssh["known_hosts"] = file;
    ssh["host_key_checking"] = "accept-new";
    EXPECT_EQ(executor(ssh)->run("echo new").stdout_data, "new\n");
    std::ifstream in(file);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(content.find("[127.0.0.1]:" + env("HPCEXEC_TC_LOGIN_PORT") + " ssh-ed25519 "), std::string::npos)
        << content;
}

TEST_F(SshConnectionErrorTest, HashedKnownHostsEntryMatches) {
    fs::path file = local_dir_ / "hashed_known_hosts";
    fs::copy_file(env("HPCEXEC_TC_KNOWN_HOSTS"), file);
    ASSERT_EQ(std::system(("ssh-keygen -q -H -f '" + file.string() + "' >/dev/null 2>&1").c_str()), 0);
    auto ssh = ssh_section();
    ssh["known_hosts"] = file.string();
    EXPECT_EQ(executor(ssh)->run("echo hashed").stdout_data, "hashed\n");
}

TEST_F(SshConnectionErrorTest, UnauthorizedKeyIsRefused) {
    auto ssh = ssh_section();
    ssh["identity_file"] = env("HPCEXEC_TC_KEY_WRONG");
    std::string message = connection_error(ssh);
    EXPECT_NE(message.find("authentication of " + host("HPCEXEC_TC_LOGIN_PORT") + " failed"), std::string::npos)
        << message;
    EXPECT_NE(message.find("refused by the server"), std::string::npos) << message;
    EXPECT_NE(message.find(env("HPCEXEC_TC_KEY_WRONG")), std::string::npos) << message;
}

TEST_F(SshConnectionErrorTest, RsaOnlyKeyExplainsTheLibssh2Limit) {
    auto ssh = ssh_section();
    ssh["identity_file"] = env("HPCEXEC_TC_KEY_RSA");
    std::string message = connection_error(ssh);
    EXPECT_NE(message.find("libssh2 1.10 cannot use RSA keys against OpenSSH >= 8.8"), std::string::npos) << message;
    EXPECT_NE(message.find("ed25519"), std::string::npos) << message;
}

TEST_F(SshConnectionErrorTest, EcdsaKeyWorks) {
    auto ssh = ssh_section();
    ssh["identity_file"] = env("HPCEXEC_TC_KEY_ECDSA");
    EXPECT_EQ(executor(ssh)->run("echo ecdsa").stdout_data, "ecdsa\n");
}

TEST_F(SshConnectionErrorTest, PasswordNeverAppearsInTheError) {
    auto ssh = ssh_section();
    ssh["identity_file"] = env("HPCEXEC_TC_KEY_WRONG");
    ssh["password"] = "s3cret-Pa55";
    ssh["passphrase"] = "s3cret-Phrase";
    std::string message = connection_error(ssh);
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
}

TEST_F(SshConnectionErrorTest, ClosedPortIsRefused) {
    auto ssh = ssh_section();
    ssh["host"] = env("HPCEXEC_TC_USER") + "@127.0.0.1:2299";
    std::string message = connection_error(ssh);
    EXPECT_NE(message.find("connection refused"), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1:2299"), std::string::npos) << message;
}

TEST_F(SshConnectionErrorTest, GatewayThatRefusesForwarding) {
    // The login sshd runs with AllowTcpForwarding no: used as a gateway, it refuses the direct-tcpip channel.
    auto ssh = ssh_section();
    ssh["host"] = host("HPCEXEC_TC_GATEWAY_PORT");
    ssh["gateway"] = json::object{{"host", host("HPCEXEC_TC_LOGIN_PORT")}};
    std::string message = connection_error(ssh);
    EXPECT_NE(message.find("through gateway " + host("HPCEXEC_TC_LOGIN_PORT")), std::string::npos) << message;
    EXPECT_NE(message.find("prohibited"), std::string::npos) << message;
    EXPECT_NE(message.find("AllowTcpForwarding"), std::string::npos) << message;
}

TEST_F(SshConnectionErrorTest, UnreachableHostTimesOutWithinConnectTimeout) {
    // A listener that never answers the SSH banner: the handshake must give up after connect_timeout.
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    socklen_t length = sizeof address;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
    auto ssh = ssh_section();
    ssh["host"] = env("HPCEXEC_TC_USER") + "@127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    ssh["connect_timeout"] = 1;
    Stopwatch watch;
    std::string message = connection_error(ssh);
    EXPECT_GT(watch.seconds(), 0.9);
    EXPECT_NE(message.find("connect_timeout"), std::string::npos) << message;
    ::close(listener);
}
