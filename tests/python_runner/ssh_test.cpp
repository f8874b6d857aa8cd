// run_python_fn through the SSH connector, via the test cluster's gateway to its login node, in both worker modes.
#include "python_test_support.hpp"

#include "common/expect_error.hpp"
#include "connector_ssh/ssh_cluster_fixture.hpp"

namespace python_test {
namespace {

using hpcexec::List;
using hpcexec::PythonFunction;
using hpcexec::Value;

class PythonOverSsh : public ssh_test::SshClusterTest, public ::testing::WithParamInterface<Mode> {
protected:
    std::shared_ptr<hpcexec::HpcExecutor> ssh_executor(const std::string& python_cmd = "python3") {
        boost::json::object document{{"ssh", ssh_section(ssh_test::Route::one_gateway)},
                                     {"work_dir", remote_dir_},
                                     {"python_cmd", python_cmd},
                                     {"python", boost::json::object{{"workers", workers_of(GetParam())}}}};
        return hpcexec::HpcExecutor::from_config(boost::json::value(document));
    }
};

TEST_P(PythonOverSsh, CallsThroughTheGateway) {
    auto executor = ssh_executor();
    EXPECT_EQ(executor->run_python_fn(PythonFunction::ref("operator:add"))(1, 2), Value(3));

    Value nested(List{Value(hpcexec::BigInt{"1267650600228229401496703205376"}),
                      Value(hpcexec::Bytes{std::string(3, '\0')}),
                      Value(hpcexec::Dict{{{Value(1.5), Value(hpcexec::Tuple{{Value("\xe2\x9c\x93")}})}}})});
    EXPECT_EQ(executor->run_python_fn(identity())(nested), nested);

    auto chatty = executor->run_python_fn(PythonFunction::source(
        "import os\ndef f(x):\n    print('hello from', os.uname().nodename)\n    os.write(1, b'fd 1')\n    return x\n",
        "f"));
    hpcexec::PythonResult result = chatty.call_with_output({7});
    EXPECT_EQ(result.value, Value(7));
    EXPECT_TRUE(result.output.starts_with("hello from ")) << result.output;

    try {
        executor->run_python_fn(PythonFunction::source("def f():\n    raise KeyError('missing')\n", "f"))();
        FAIL() << "no exception";
    } catch (const hpcexec::PythonError& error) {
        EXPECT_EQ(error.exception_type(), "KeyError");
        EXPECT_EQ(error.message(), "'missing'");
        EXPECT_EQ(error.target(), executor->connector()->target());
        EXPECT_NE(error.traceback().find("raise KeyError('missing')"), std::string::npos) << error.traceback();
    }
    // The login node's own directory, the remote work_dir.
    EXPECT_EQ(executor->run_python_fn(PythonFunction::ref("os:getcwd"))(), Value(remote_dir_));
}

TEST_P(PythonOverSsh, UploadedPackageIsImportable) {
    fs::create_directories(local_dir_ / "hpcexec_ssh_pkg");
    std::ofstream(local_dir_ / "hpcexec_ssh_pkg" / "__init__.py") << "def where():\n    return __file__\n";
    auto executor = ssh_executor();
    std::string remote = executor->upload_python_package(local_dir_ / "hpcexec_ssh_pkg");
    EXPECT_EQ(remote, remote_dir_ + "/.tmp/python/hpcexec_ssh_pkg");
    EXPECT_EQ(executor->run_python_fn(PythonFunction::ref("hpcexec_ssh_pkg:where"))(), Value(remote + "/__init__.py"));
}

TEST_P(PythonOverSsh, KilledWorkerIsReplaced) {
    auto executor = ssh_executor();
    auto pid = executor->run_python_fn(PythonFunction::ref("os:getpid"));
    int first = pid().to<int>();
    if (GetParam() == Mode::per_call) {
        EXPECT_NE(pid().to<int>(), first);  // a process per call
        return;
    }
    if (!executor->python().persistent()) GTEST_SKIP() << "the ssh connector cannot keep processes open yet";
    executor->run("kill -9 " + std::to_string(first));
    int second = pid().to<int>();
    EXPECT_NE(second, first);
}

TEST_P(PythonOverSsh, MissingPythonCmdIsNamedWithTheHost) {
    auto executor = ssh_executor("no-such-python-hpcexec");
    std::string what = hpcexec::test::error_of<hpcexec::PythonWorkerError>([&] { executor->python().check(); });
    EXPECT_NE(what.find("python_cmd 'no-such-python-hpcexec' on " + executor->connector()->target() +
                        " was not found (exit status 127)"),
              std::string::npos)
        << what;
}

INSTANTIATE_TEST_SUITE_P(Modes, PythonOverSsh, ::testing::Values(Mode::persistent, Mode::per_call), mode_name);

}  // namespace
}  // namespace python_test
