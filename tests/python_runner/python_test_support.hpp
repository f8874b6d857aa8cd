// What the Python runner tests share: executors on this machine (local connector) in either worker mode, Python
// sources used by several tests, and running calls concurrently.
#pragma once

#include <hpcexec/executor.hpp>
#include <hpcexec/python.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include <unistd.h>

namespace python_test {

namespace fs = std::filesystem;

/// How calls reach Python: persistent workers (`python: {workers: 2}`) or a process per call (`workers: 0`).
enum class Mode { persistent, per_call };

inline std::string mode_name(const ::testing::TestParamInfo<Mode>& info) {
    return info.param == Mode::persistent ? "Persistent" : "PerCall";
}

inline int workers_of(Mode mode) {
    return mode == Mode::persistent ? 2 : 0;
}

/// The identity function, by source.
inline hpcexec::PythonFunction identity() {
    return hpcexec::PythonFunction::source("def identity(x):\n    return x\n", "identity");
}

/// A per-test work_dir on this machine and executors using it.
class LocalPythonTest : public ::testing::Test {
protected:
    void SetUp() override {
        setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = std::string(info->test_suite_name()) + "." + info->name();
        for (char& c : name) {
            if (c == '/') c = '_';
        }
        work_dir_ = fs::temp_directory_path() / ("hpcexec-python-test-" + std::to_string(::getpid()) + "-" + name);
        fs::remove_all(work_dir_);
        fs::create_directories(work_dir_);
    }
    void TearDown() override { fs::remove_all(work_dir_); }

    /// An executor on this machine running `python_cmd`; `python_extra` adds to the `python` section
    /// (", serializer: {json: {}}").
    std::shared_ptr<hpcexec::HpcExecutor> local_executor(Mode mode, const std::string& python_extra = "",
                                                         const std::string& python_cmd = HPCEXEC_TEST_PYTHON) {
        return hpcexec::HpcExecutor::from_config_text(
            "work_dir: '" + work_dir_.string() + "'\npython_cmd: '" + python_cmd +
            "'\npython: {workers: " + std::to_string(workers_of(mode)) + python_extra + "}\n");
    }

    /// Writes a file below work_dir (creating its directory) and returns its path.
    fs::path write_file(const std::string& relative, const std::string& text) {
        fs::path path = work_dir_ / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path) << text;
        return path;
    }

    fs::path work_dir_;
};

/// Starts the same call `count` times at once on the executor's loop and waits for all of them.
inline std::vector<hpcexec::Value> call_concurrently(const std::shared_ptr<hpcexec::HpcExecutor>& executor,
                                                     const hpcexec::PythonCall& call, int count) {
    std::vector<std::future<hpcexec::Value>> futures;
    for (int i = 0; i < count; ++i) {
        futures.push_back(
            boost::asio::co_spawn(executor->kernel()->loop().executor(), call.call_async(), boost::asio::use_future));
    }
    std::vector<hpcexec::Value> values;
    for (auto& future : futures) values.push_back(future.get());
    return values;
}

}  // namespace python_test
