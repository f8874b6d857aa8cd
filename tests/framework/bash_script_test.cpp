// Script builders: the rendered script is run by the real bash and behaves as the original's.
#include <hpcexec/bash_script.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using hpcexec::BashScript;
using hpcexec::BashStep;

namespace {

struct Ran {
    int status;
    std::string output;
};

Ran run_script(const std::string& script, const fs::path& dir) {
    fs::path file = dir / "script.sh";
    std::ofstream(file) << script;
    std::string line = "cd '" + dir.string() + "' && bash script.sh 2>&1";
    FILE* pipe = popen(line.c_str(), "r");
    std::string out;
    std::array<char, 4096> buffer{};
    std::size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
    int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class BashScriptTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("hpcexec-bash-" + std::to_string(getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

// A step (designated initializers would warn about the members left out).
BashStep step(std::variant<std::string, std::vector<std::string>> cmd, std::string cwd = "", std::string checkpoint = "",
              bool exit_on_error = true) {
    BashStep s;
    s.cmd = std::move(cmd);
    s.cwd = std::move(cwd);
    s.checkpoint = std::move(checkpoint);
    s.exit_on_error = exit_on_error;
    return s;
}

}  // namespace

TEST_F(BashScriptTest, RendersTemplateAndStepsInOrder) {
    BashScript script;
    script.templ.header = "#SBATCH -N 1\n#SBATCH --job-name=demo";
    script.templ.setup = "echo setup";
    script.templ.teardown = "echo teardown";
    script.steps = {step("echo \"hello world\"")};
    std::string text = script.render();
    EXPECT_EQ(text.rfind("#!/bin/bash\n#SBATCH -N 1\n#SBATCH --job-name=demo\necho setup\n", 0), 0u) << text;
    EXPECT_NE(text.find(std::string(80, '#') + "\necho \"hello world\"\n" + std::string(80, '#')), std::string::npos);
    auto ran = run_script(text, dir_);
    EXPECT_EQ(ran.status, 0);
    EXPECT_EQ(ran.output, "setup\nhello world\nteardown\n");
}

TEST_F(BashScriptTest, ExitOnErrorStopsTheScriptWithTheStepsStatus) {
    BashScript script;
    script.steps = {step("exit 3"), step("echo not reached")};
    auto ran = run_script(script.render(), dir_);
    EXPECT_EQ(ran.status, 3);
    EXPECT_EQ(ran.output, "");
    script.steps = {step("false", "", "", false), step("echo reached")};
    EXPECT_EQ(run_script(script.render(), dir_).output, "reached\n");
}

TEST_F(BashScriptTest, CheckpointSkipsAFinishedStepAndOnlySuccessCreatesIt) {
    BashScript script;
    script.steps = {step("echo once >> log", "", "first"),
                    step("test -f go", "", "second")};
    EXPECT_EQ(run_script(script.render(), dir_).status, 1);  // second step fails: no checkpoint for it
    EXPECT_TRUE(fs::exists(dir_ / "first.checkpoint"));
    EXPECT_FALSE(fs::exists(dir_ / "second.checkpoint"));
    std::ofstream(dir_ / "go") << "";
    auto ran = run_script(script.render(), dir_);  // the resubmission resumes after the finished step
    EXPECT_EQ(ran.status, 0);
    EXPECT_NE(ran.output.find("hit checkpoint file first.checkpoint, skip"), std::string::npos);
    std::ifstream log(dir_ / "log");
    std::string content((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "once\n");
    EXPECT_TRUE(fs::exists(dir_ / "second.checkpoint"));
}

TEST_F(BashScriptTest, StepCwdIsQuotedAndRestored) {
    fs::create_directories(dir_ / "it's a $dir");
    BashScript script;
    script.steps = {step("pwd", (dir_ / "it's a $dir").string()), step("pwd")};
    auto ran = run_script(script.render(), dir_);
    EXPECT_EQ(ran.status, 0);
    EXPECT_EQ(ran.output, (dir_ / "it's a $dir").string() + "\n" + dir_.string() + "\n");
    // argv commands are quoted element by element.
    script.steps = {step(std::vector<std::string>{"printf", "%s|", "a b", "$HOME", "it's"})};
    EXPECT_EQ(run_script(script.render(), dir_).output, "a b|$HOME|it's|");
}

TEST_F(BashScriptTest, ParallelGroupWaitsForAllAndFailsIfOneFails) {
    BashScript script;
    script.steps = {std::vector<BashStep>{step("sleep 0.2; echo a > a"), step("echo b > b")},
                    step("cat a b")};
    auto ran = run_script(script.render(), dir_);
    EXPECT_EQ(ran.status, 0);
    EXPECT_EQ(ran.output, "a\nb\n");
    script.steps = {std::vector<BashStep>{step("exit 4"), step("true")},
                    step("echo not reached")};
    ran = run_script(script.render(), dir_);
    EXPECT_EQ(ran.status, 4);
    EXPECT_EQ(ran.output, "");
}
