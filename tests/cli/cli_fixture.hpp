// The fixture of the CLI tests: a temporary directory (HOME and configuration files), a controlled environment, and
// `cli(...)` to run the binary in it.
#pragma once

#include "cli/cli_runner.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace hpcexec::test {

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "hpcexec-cli-test-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        temp_dir_ = pattern;
        // Nothing from the developer's environment leaks in (HPCEXEC_CONFIG, HPCEXEC_LOG_LEVEL, ~/.hpcexec).
        const char* path = std::getenv("PATH");
        env_ = {{"PATH", path ? path : "/usr/bin:/bin"},
                {"HOME", temp_dir_.string()},
                {"HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR}};
    }

    void TearDown() override {
        std::error_code ignored;
        std::filesystem::remove_all(temp_dir_, ignored);
    }

    /// Writes a file into the temporary directory and returns its path.
    std::string write_file(const std::string& name, const std::string& text) {
        auto path = temp_dir_ / name;
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << text;
        return path.string();
    }

    /// Writes the configuration file and makes it the default ($HPCEXEC_CONFIG), as a user's shell profile would.
    std::string use_config(const std::string& text) {
        auto path = write_file("hpcexec.yaml", text);
        env_["HPCEXEC_CONFIG"] = path;
        return path;
    }

    CliResult cli(std::vector<std::string> args, std::string stdin_data = "") {
        CliRun run;
        run.args = std::move(args);
        run.env = env_;
        run.stdin_data = std::move(stdin_data);
        return run_cli(run);
    }

    std::filesystem::path temp_dir_;
    std::map<std::string, std::string> env_;
};

}  // namespace hpcexec::test
