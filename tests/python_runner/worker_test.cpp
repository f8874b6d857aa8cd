// The workers themselves, through the local connector: restarts, concurrency, python_cmd checks, package upload,
// the json serializer and the `python` configuration section.
#include "python_test_support.hpp"

#include "common/expect_error.hpp"

#include <hpcexec/value_json.hpp>

#include <boost/json/parse.hpp>

#include <chrono>
#include <set>

namespace python_test {
namespace {

using hpcexec::PythonFunction;
using hpcexec::PythonWorkerError;
using hpcexec::Value;

class PythonWorkerTest : public LocalPythonTest, public ::testing::WithParamInterface<Mode> {};

// Persistent-only tests need a connector with Connector::start; until it has one, they say so and skip.
#define SKIP_UNLESS_PERSISTENT(executor)    \
    if (!(executor)->python().persistent()) \
    GTEST_SKIP() << "the connector cannot keep processes open (Connector::start): calls use a process each"

const PythonFunction getpid = PythonFunction::ref("os:getpid");

TEST_P(PythonWorkerTest, WorkerKilledBetweenCallsIsReplaced) {
    auto executor = local_executor(GetParam());
    auto pid = executor->run_python_fn(getpid);
    int first = pid().to<int>();
    if (GetParam() == Mode::per_call) {
        EXPECT_NE(pid().to<int>(), first);  // a process per call
        return;
    }
    SKIP_UNLESS_PERSISTENT(executor);
    EXPECT_EQ(pid().to<int>(), first);  // the same worker again (one call at a time: the warmest one)
    executor->run("kill -9 " + std::to_string(first));
    int second = pid().to<int>();  // the dead worker never accepts the call: it goes to a new worker
    EXPECT_NE(second, first);
    EXPECT_EQ(pid().to<int>(), second);
}

TEST_P(PythonWorkerTest, WorkerDyingDuringACallFailsWithItsStandardError) {
    auto executor = local_executor(GetParam());
    auto die =
        executor->run_python_fn(PythonFunction::source("import os, sys\n"
                                                       "def die():\n"
                                                       "    sys.__stderr__.write('about to die\\n')\n"
                                                       "    sys.__stderr__.flush()\n"
                                                       "    os._exit(3)\n",
                                                       "die"));
    try {
        die();
        FAIL() << "no exception";
    } catch (const PythonWorkerError& error) {
        EXPECT_EQ(error.exit_status(), 3);
        EXPECT_NE(error.stderr_text().find("about to die"), std::string::npos) << error.stderr_text();
        std::string what = error.what();
        EXPECT_NE(what.find("died during the call"), std::string::npos) << what;
        EXPECT_NE(what.find("about to die"), std::string::npos) << what;
    }
    // The next call gets a healthy worker.
    EXPECT_EQ(executor->run_python_fn(PythonFunction::ref("operator:add"))(1, 2), Value(3));
}

TEST_P(PythonWorkerTest, ConcurrentCallsRunOnSeveralWorkers) {
    auto executor = local_executor(GetParam());
    auto slow_pid = executor->run_python_fn(
        PythonFunction::source("import os, time\ndef f():\n    time.sleep(1)\n    return os.getpid()\n", "f"));
    slow_pid();  // workers (if any) started: the timing below measures the calls only
    if (GetParam() == Mode::persistent) SKIP_UNLESS_PERSISTENT(executor);
    auto start = std::chrono::steady_clock::now();
    std::vector<Value> pids = call_concurrently(executor, slow_pid, 4);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::set<int> distinct;
    for (const auto& pid : pids) distinct.insert(pid.to<int>());
    if (GetParam() == Mode::persistent) {
        // Two workers (the configuration's number): 4 one-second calls take two rounds, never one, never four.
        EXPECT_EQ(distinct.size(), 2u);
        EXPECT_GE(seconds, 2.0);
        EXPECT_LT(seconds, 3.9);
    } else {
        // A process each, all at once.
        EXPECT_EQ(distinct.size(), 4u);
        EXPECT_LT(seconds, 3.9);
    }
}

TEST_P(PythonWorkerTest, MissingPythonCmdIsNamed) {
    auto executor = local_executor(GetParam(), "", "no-such-python-hpcexec");
    std::string what = hpcexec::test::error_of<PythonWorkerError>(
        [&] { executor->run_python_fn(PythonFunction::ref("operator:add"))(1, 2); });
    EXPECT_NE(what.find("python_cmd 'no-such-python-hpcexec' on local was not found (exit status 127)"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("not found"), std::string::npos) << what;
    // check() says the same without a call.
    EXPECT_NE(hpcexec::test::error_of<PythonWorkerError>([&] { executor->python().check(); }).find("was not found"),
              std::string::npos);
}

TEST_P(PythonWorkerTest, NotPythonIsRefused) {
    auto executor = local_executor(GetParam(), "", "/bin/echo");
    std::string what = hpcexec::test::error_of<PythonWorkerError>([&] { executor->python().check(); });
    EXPECT_NE(what.find("python_cmd '/bin/echo' on local is not a Python interpreter (it wrote '-u -c import os"),
              std::string::npos)
        << what;
    auto cat = local_executor(GetParam(), "", "/bin/cat");  // refuses Python's options
    what = hpcexec::test::error_of<PythonWorkerError>([&] { cat->python().check(); });
    EXPECT_NE(what.find("python_cmd '/bin/cat' on local exited before answering as a Python interpreter (exit "
                        "status 1); its standard error:\n/bin/cat: invalid option"),
              std::string::npos)
        << what;
}

TEST_P(PythonWorkerTest, TooOldPythonIsRefused) {
    // A Python 2 or 3.6 where pyenv has one; else a stand-in that answers like one.
    std::string python_cmd;
    for (const char* candidate :
         {"/root/.pyenv/versions/2.7.18/bin/python", "/root/.pyenv/versions/3.6.15/bin/python3"}) {
        if (fs::exists(candidate)) python_cmd = candidate;
    }
    if (python_cmd.empty()) {
        python_cmd = write_file("old-python", "#!/bin/sh\necho hpcexec-python 3.6.15\n").string();
        fs::permissions(python_cmd, fs::perms::owner_all);
    }
    auto executor = local_executor(GetParam(), "", python_cmd);
    std::string what = hpcexec::test::error_of<PythonWorkerError>([&] { executor->python().check(); });
    EXPECT_NE(what.find("python_cmd '" + python_cmd + "' on local is Python "), std::string::npos) << what;
    EXPECT_NE(what.find("needs Python 3.8 or later"), std::string::npos) << what;
}

TEST_P(PythonWorkerTest, PythonThatCannotReadTheProtocolIsRefused) {
    // This Python pretends that its pickle stops at protocol 4; the serializer is configured to write 5.
    fs::path shim = write_file("pickle4.py",
                               "import pickle, sys\n"
                               "pickle.HIGHEST_PROTOCOL = 4\n"
                               "code = sys.argv[sys.argv.index('-c') + 1]\n"
                               "sys.argv = ['-c'] + sys.argv[sys.argv.index('-c') + 2:]\n"
                               "exec(compile(code, '<bootstrap>', 'exec'), {'__name__': '__main__'})\n");
    std::string python_cmd = std::string(HPCEXEC_TEST_PYTHON) + " " + shim.string();
    auto executor = local_executor(GetParam(), ", serializer: {pickle: {protocol: 5}}", python_cmd);
    std::string what = hpcexec::test::error_of<PythonWorkerError>([&] { executor->python().check(); });
    EXPECT_NE(what.find("reads pickle protocols up to 4, but the serializer writes protocol 5: set "
                        "python.serializer.pickle.protocol to 4 or lower"),
              std::string::npos)
        << what;
    // With protocol 4 it works.
    auto ok = local_executor(GetParam(), ", serializer: {pickle: {protocol: 4}}", python_cmd);
    EXPECT_EQ(ok->run_python_fn(PythonFunction::ref("operator:add"))(1, 2), Value(3));
}

TEST_P(PythonWorkerTest, CheckReportsThePython) {
    auto executor = local_executor(GetParam());
    hpcexec::PythonInfo info = executor->python().check();
    EXPECT_TRUE(info.version.starts_with("3.")) << info.version;
    EXPECT_GE(info.highest_protocol, 5);
    EXPECT_FALSE(info.executable.empty());
}

TEST_P(PythonWorkerTest, UploadedPackageIsImportable) {
    fs::path local = fs::temp_directory_path() / ("hpcexec-upload-" + std::to_string(::getpid())) / "hpcexec_demo_pkg";
    fs::remove_all(local.parent_path());
    fs::create_directories(local / "sub");
    std::ofstream(local / "__init__.py") << "VERSION = 1\n";
    std::ofstream(local / "sub" / "__init__.py") << "";
    std::ofstream(local / "sub" / "greet.py") << "from .. import VERSION\ndef hello(name):\n"
                                                 "    return f'hello {name} from v{VERSION}'\n";
    auto executor = local_executor(GetParam());
    auto hello = executor->run_python_fn(PythonFunction::ref("hpcexec_demo_pkg.sub.greet:hello"));
    // Not there yet.
    EXPECT_THROW(hello("x"), hpcexec::PythonError);

    std::string remote = executor->upload_python_package(local);
    EXPECT_EQ(remote, (work_dir_ / ".tmp" / "python" / "hpcexec_demo_pkg").string());
    EXPECT_EQ(hello("ada"), Value("hello ada from v1"));

    // A new version replaces the old one, also in workers that imported the old one.
    std::ofstream(local / "__init__.py") << "VERSION = 2\n";
    executor->upload_python_package(local.string() + "/");
    EXPECT_EQ(hello("ada"), Value("hello ada from v2"));

    // A single module file.
    fs::path module = local.parent_path() / "hpcexec_demo_module.py";
    std::ofstream(module) << "def twice(x):\n    return 2 * x\n";
    executor->upload_python_package(module);
    EXPECT_EQ(executor->run_python_fn(PythonFunction::ref("hpcexec_demo_module:twice"))(21), Value(42));
    fs::remove_all(local.parent_path());

    EXPECT_THROW(executor->upload_python_package(work_dir_ / "missing"), hpcexec::Error);
}

TEST_P(PythonWorkerTest, JsonSerializer) {
    auto executor = local_executor(GetParam(), ", serializer: {json: {}}");
    auto f = executor->run_python_fn(
        PythonFunction::source("def f(a, b, **kw):\n    return {'sum': a + b, 'kw': kw, 'list': (1, 2)}\n", "f"));
    Value result = f.call({1, 2.5}, {{"x", "y"}});
    EXPECT_EQ(hpcexec::to_json(result), boost::json::parse(R"({"sum": 3.5, "kw": {"x": "y"}, "list": [1, 2]})"));
    // What JSON cannot hold is refused on the way in and on the way out.
    EXPECT_THROW(f(hpcexec::Bytes{"x"}, 1), hpcexec::SerializationError);
    auto nan = executor->run_python_fn(PythonFunction::source("def f():\n    return float('nan')\n", "f"));
    try {
        nan();
        FAIL() << "no exception";
    } catch (const hpcexec::PythonError& error) {
        EXPECT_EQ(error.stage(), hpcexec::PythonError::Stage::result);
    }
}

INSTANTIATE_TEST_SUITE_P(Modes, PythonWorkerTest, ::testing::Values(Mode::persistent, Mode::per_call), mode_name);

// Persistent workers only: a process per call runs to its end, there is no start-up to time.
TEST_F(LocalPythonTest, PythonThatNeverAnswersIsKilledAtTheStartTimeout) {
    fs::path hung = write_file("hung-python", "#!/bin/sh\nsleep 30\n");
    fs::permissions(hung, fs::perms::owner_all);
    auto executor = local_executor(Mode::persistent, ", start_timeout: 1", hung.string());
    auto start = std::chrono::steady_clock::now();
    std::string what = hpcexec::test::error_of<PythonWorkerError>([&] { executor->python().check(); });
    if (!executor->python().persistent()) GTEST_SKIP() << "the connector cannot keep processes open";
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_NE(what.find("did not start hpcexec's worker within 1 s (python.start_timeout)"), std::string::npos) << what;
}

TEST_F(LocalPythonTest, PythonSectionIsValidated) {
    auto config_error = [&](const std::string& python) {
        return hpcexec::test::error_of<hpcexec::ConfigError>([&] {
            auto executor = hpcexec::HpcExecutor::from_config_text("work_dir: '" + work_dir_.string() +
                                                                   "'\npython: " + python + "\n");
            executor->run_python_fn(getpid);
        });
    };
    EXPECT_NE(config_error("{workers: -1}").find("python.workers"), std::string::npos);
    EXPECT_NE(config_error("{worker: 2}").find("python.worker: unknown key (did you mean workers?)"), std::string::npos)
        << config_error("{worker: 2}");
    EXPECT_NE(config_error("{serializer: {yaml: {}}}")
                  .find("python.serializer.yaml: the Python worker reads pickle "
                        "or json, not yaml"),
              std::string::npos);
    EXPECT_NE(config_error("{serializer: {pickle: {protocol: 9}}}").find("python.serializer.pickle.protocol"),
              std::string::npos);
    // The section survives the typed form.
    auto document = hpcexec::parse_config_text(
        "python: {workers: 3, serializer: {pickle: {protocol: 5}}, "
        "start_timeout: 10}");
    auto config = hpcexec::ExecutorConfig::from_json(document);
    ASSERT_TRUE(config.python);
    EXPECT_EQ(config.python->workers, 3);
    EXPECT_EQ(hpcexec::ExecutorConfig::from_json(config.to_json()), config);
}

}  // namespace
}  // namespace python_test
