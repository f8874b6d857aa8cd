// submit_python_fn on the test cluster's Slurm: a function's value, and its exception, read back after the job.
#include "python_test_support.hpp"

#include "queue_slurm/slurm_fixture.hpp"

#include <chrono>

namespace python_test {
namespace {

using hpcexec::Dict;
using hpcexec::JobState;
using hpcexec::PythonFunction;
using hpcexec::Value;
using namespace std::chrono_literals;

class PythonJobTest : public hpcexec::test::SlurmClusterTest {
protected:
    std::shared_ptr<hpcexec::HpcExecutor> python_executor() {
        return hpcexec::HpcExecutor::from_config_text("queue_system: {slurm: {polling_interval: 1}}\nwork_dir: '" +
                                                      work_dir_ + "'\npython_cmd: '" + HPCEXEC_TEST_PYTHON + "'\n");
    }
};

TEST_F(PythonJobTest, ReturnsTheFunctionsValue) {
    auto executor = python_executor();
    auto fn = PythonFunction::source(
        "import os\n"
        "def f(a, b=1):\n"
        "    print('running in job', os.environ.get('SLURM_JOB_ID'))\n"
        "    return {'sum': a + b, 'cwd': os.getcwd()}\n",
        "f");
    hpcexec::SubmitOptions options;
    options.cwd = "jobs/one";
    hpcexec::PythonJob job = executor->submit_python_fn(fn, {2}, {{"b", 40}}, options);
    Value value = job.value(120s);
    EXPECT_EQ(value, Value(Dict{{{Value("sum"), Value(42)}, {Value("cwd"), Value(work_dir_ + "/jobs/one")}}}));
    EXPECT_EQ(job.job().state(), JobState::completed);
    // What the function printed is in the job's output file.
    std::string output = executor->load_text("jobs/one/slurm-" + job.job().id() + ".out");
    EXPECT_NE(output.find("running in job " + job.job().id()), std::string::npos) << output;
    // value() again reads the same response.
    EXPECT_EQ(job.value(), value);
}

TEST_F(PythonJobTest, RaisingFunctionGivesPythonErrorAndAFailedJob) {
    auto executor = python_executor();
    hpcexec::PythonJob job = executor->submit_python_fn(PythonFunction::ref("operator:truediv"), {1, 0});
    try {
        job.value(120s);
        FAIL() << "no exception";
    } catch (const hpcexec::PythonError& error) {
        EXPECT_EQ(error.stage(), hpcexec::PythonError::Stage::call);
        EXPECT_EQ(error.exception_type(), "ZeroDivisionError");
        EXPECT_EQ(error.message(), "division by zero");
    }
    EXPECT_EQ(job.job().state(), JobState::failed);
    EXPECT_EQ(job.job().exit_code(), 1);
}

TEST_F(PythonJobTest, ByReferenceIntoAnUploadedPackageWithCoroutines) {
    auto executor = python_executor();
    auto local = std::filesystem::temp_directory_path() / ("hpcexec-job-module-" + std::to_string(::getpid()) + ".py");
    std::ofstream(local) << "def square(x):\n    return x * x\n";
    std::string remote = executor->upload_python_package(local);
    std::filesystem::remove(local);
    auto fn = PythonFunction::ref(std::filesystem::path(remote).stem().string() + ":square");
    auto future = boost::asio::co_spawn(
        executor->kernel()->loop().executor(),
        [&]() -> boost::asio::awaitable<Value> {
            hpcexec::List args(1, Value(12));
            hpcexec::PythonJob job =
                co_await executor->submit_python_fn_async(fn, args, hpcexec::Kwargs(), hpcexec::SubmitOptions());
            co_return co_await job.value_async();
        },
        boost::asio::use_future);
    ASSERT_EQ(future.wait_for(120s), std::future_status::ready);
    EXPECT_EQ(future.get(), Value(144));
}

TEST_F(PythonJobTest, CancelledJobSaysSo) {
    auto executor = python_executor();
    hpcexec::PythonJob job = executor->submit_python_fn(PythonFunction::ref("time:sleep"), {300});
    job.job().cancel();
    try {
        job.value(120s);
        FAIL() << "no exception";
    } catch (const hpcexec::PythonError&) {
        FAIL() << "a cancelled job has no Python result";
    } catch (const hpcexec::Error& error) {
        std::string what = error.what();
        EXPECT_NE(what.find("ended CANCELLED"), std::string::npos) << what;
        EXPECT_NE(what.find("without a result"), std::string::npos) << what;
    }
}

}  // namespace
}  // namespace python_test
