// Files over SSH, on every route: single files (SFTP), trees (tar), a 100 MB file, glob, mkdir, remove, stat.
#include "ssh_cluster_fixture.hpp"

#include <random>

using namespace ssh_test;

namespace {

class SshTransferTest : public SshClusterTest, public ::testing::WithParamInterface<Route> {};

std::string read_local(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_local(const fs::path& file, const std::string& content) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
}

std::string sha256_of(const fs::path& file) {
    std::string out = run_shell("sha256sum '" + file.string() + "'");
    return out.substr(0, out.find(' '));
}

}  // namespace

TEST_P(SshTransferTest, SingleFilesMkdirGlobStatRemove) {
    auto ex = executor(GetParam());
    auto connector = ex->connector();
    ex->mkdir("a b/c");
    auto info = wait(ex, connector->stat(remote_dir_ + "/a b/c"));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->type, hpcexec::FileType::directory);

    const std::string binary("it's $HOME\0\xff\n", 13);
    ex->dump_text(binary, "a b/c/note.txt");
    EXPECT_EQ(ex->load_text("a b/c/note.txt"), binary);
    ex->dump_text("replaced", "a b/c/note.txt");  // over an existing file: still atomic (mv -f)
    EXPECT_EQ(ex->load_text("a b/c/note.txt"), "replaced");
    ex->dump_text("x", "a b/c/other.txt");
    ex->dump_text("y", "a b/c/it's *.log");
    auto found = ex->glob("a b/c/*.txt");
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0], remote_dir_ + "/a b/c/note.txt");
    EXPECT_EQ(found[1], remote_dir_ + "/a b/c/other.txt");
    EXPECT_EQ(ex->glob("a b/c/it's*").size(), 1u);
    EXPECT_TRUE(ex->glob("a b/c/*.none").empty());
    // No temporary file is left behind.
    EXPECT_EQ(wait(ex, connector->glob(remote_dir_ + "/a b/c/.*.tmp")).size(), 0u);

    write_local(local_dir_ / "one.bin", binary);
    ex->upload(local_dir_ / "one.bin", "uploaded.bin");
    EXPECT_EQ(ex->load_text("uploaded.bin"), binary);
    ex->download("uploaded.bin", local_dir_ / "back.bin");
    EXPECT_EQ(read_local(local_dir_ / "back.bin"), binary);

    wait(ex, connector->remove(remote_dir_ + "/a b", true));
    EXPECT_FALSE(wait(ex, connector->stat(remote_dir_ + "/a b")).has_value());
    EXPECT_THROW(ex->load_text("does-not-exist"), hpcexec::FileError);
    EXPECT_EQ(wait(ex, connector->home_directory()), "/home/" + env("HPCEXEC_TC_USER"));
}

TEST_P(SshTransferTest, TreeOf2000FilesUpAndDown) {
    auto ex = executor(GetParam());
    for (int i = 0; i < 2000; ++i) {
        write_local(local_dir_ / "tree" / ("d" + std::to_string(i % 20)) / ("f" + std::to_string(i) + ".txt"),
                    std::string(1024, static_cast<char>('a' + i % 26)) + std::to_string(i));
    }
    Stopwatch up;
    ex->upload(local_dir_ / "tree", "tree");
    double up_seconds = up.seconds();
    EXPECT_EQ(ex->run("find tree -type f | wc -l").stdout_data, "2000\n");
    EXPECT_EQ(ex->load_text("tree/d7/f1007.txt"), std::string(1024, static_cast<char>('a' + 1007 % 26)) + "1007");
    Stopwatch down;
    ex->download("tree", local_dir_ / "back");
    double down_seconds = down.seconds();
    EXPECT_EQ(run_shell("cd '" + local_dir_.string() + "' && diff -r tree back && echo same"), "same\n");
    std::cout << "[ figures  ] 2000 x 1 KB: upload " << up_seconds << " s, download " << down_seconds << " s\n";
}

TEST_P(SshTransferTest, HundredMegabyteFileKeepsItsChecksum) {
    auto ex = executor(GetParam());
    fs::path big = local_dir_ / "big.bin";
    {
        std::ofstream out(big, std::ios::binary);
        std::mt19937_64 random(42);
        std::vector<std::uint64_t> block(1 << 16);
        for (int i = 0; i < 200; ++i) {  // 200 x 512 KB = 100 MB
            for (auto& word : block) word = random();
            out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(block.size() * 8));
        }
    }
    const std::string sum = sha256_of(big);
    Stopwatch up;
    ex->upload(big, "big.bin");
    double up_seconds = up.seconds();
    EXPECT_EQ(ex->run("sha256sum big.bin | cut -d' ' -f1").stdout_data, sum + "\n");
    Stopwatch down;
    ex->download("big.bin", local_dir_ / "big.back");
    double down_seconds = down.seconds();
    EXPECT_EQ(sha256_of(local_dir_ / "big.back"), sum);
    std::cout << "[ figures  ] 100 MB: upload " << 100 / up_seconds << " MB/s, download " << 100 / down_seconds
              << " MB/s\n";
}

INSTANTIATE_TEST_SUITE_P(Routes, SshTransferTest,
                         ::testing::Values(Route::direct, Route::one_gateway, Route::two_gateways),
                         [](const auto& param_info) { return route_name(param_info.param); });

TEST_F(SshClusterTest, GatewayLogShowsTheForwarding) {
    // The gateway sshd logs (LogLevel DEBUG1) "server_request_direct_tcpip: originator ..., target HOST port PORT"
    // for every forwarding channel it opens.
    const std::string log = env("HPCEXEC_TC_GATEWAY_LOG");
    const std::string forwarding = "target " + env("HPCEXEC_TC_HOST") + " port " + env("HPCEXEC_TC_LOGIN_PORT");
    const std::size_t logins = count_lines_containing(log, "Accepted publickey");
    const std::size_t forwards = count_lines_containing(log, forwarding);
    auto ex = executor(Route::one_gateway);
    EXPECT_EQ(ex->run("echo through").stdout_data, "through\n");
    EXPECT_GT(count_lines_containing(log, "Accepted publickey"), logins) << "no login on the gateway";
    EXPECT_GT(count_lines_containing(log, forwarding), forwards)
        << "no direct-tcpip forwarding to the login node in " << log << ":\n"
        << run_shell("tail -n 20 '" + log + "'");
}

TEST_F(SshClusterTest, OpenSshConfigAliasWithProxyJump) {
    // testlogin: HostName, Port, User, IdentityFile, UserKnownHostsFile and ProxyJump testgw, all from the file.
    json::object ssh{{"host", "testlogin"}, {"ssh_config_file", env("HPCEXEC_TC_SSH_CONFIG")}};
    const std::string log = env("HPCEXEC_TC_GATEWAY_LOG");
    std::size_t before = count_lines_containing(log, "Accepted publickey");
    auto ex = executor(ssh);
    EXPECT_EQ(ex->run("echo alias").stdout_data, "alias\n");
    EXPECT_EQ(ex->connector()->target(), host("HPCEXEC_TC_LOGIN_PORT"));
    EXPECT_GT(count_lines_containing(log, "Accepted publickey"), before);
}
