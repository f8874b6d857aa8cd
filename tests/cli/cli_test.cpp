// The `hpcexec` command without a scheduler: the command line itself, configuration errors, plugins, `run`, file
// transfers and checkpoint commands, through the local connector. Every test runs the built binary.
#include "cli/cli_fixture.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using hpcexec::test::CliResult;
using hpcexec::test::CliRun;
using hpcexec::test::describe;
using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;

namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

class Cli : public hpcexec::test::CliTest {
protected:
    // A configuration with no scheduler: enough for run, transfers and checkpoints.
    void use_local_config() {
        work_dir_ = temp_dir_ / "work";
        use_config("work_dir: '" + work_dir_.string() + "'\ncheckpoint: {dir: {path: '" +
                   (temp_dir_ / "checkpoints").string() + "'}}\n");
    }
    std::filesystem::path work_dir_;
};

// --- the command line ---

TEST_F(Cli, TopLevelHelpListsEveryCommandAndTheExitCodes) {
    auto result = cli({"--help"});
    ASSERT_EQ(result.exit_code, 0) << describe(result);
    for (const char* command : {"run CMD", "submit [SCRIPT|-]", "status JOBID...", "wait JOBID...", "cancel JOBID...",
                                "py FUNCTION [ARG...]", "upload LOCAL REMOTE", "download REMOTE LOCAL", "plugins", "config check",
                                "checkpoints list", "checkpoints clear"}) {
        EXPECT_THAT(result.out, HasSubstr("  " + std::string(command))) << command;
    }
    for (const char* option : {"--config FILE", "--cluster NAME", "--json", "--log-level LEVEL"}) {
        EXPECT_THAT(result.out, HasSubstr(option));
    }
    EXPECT_THAT(result.out, HasSubstr("Exit codes:"));
    EXPECT_THAT(result.out, HasSubstr("4  connection error"));
    EXPECT_THAT(result.out, HasSubstr("7  other error"));
    EXPECT_EQ(result.err, "");
    EXPECT_EQ(cli({"-h"}).out, result.out);
}

TEST_F(Cli, NoCommandIsAUsageError) {
    auto result = cli({});
    EXPECT_EQ(result.exit_code, 2) << describe(result);
    EXPECT_THAT(result.err, StartsWith("hpcexec: no command given\n"));
    EXPECT_THAT(result.err, HasSubstr("hpcexec --help"));
}

TEST_F(Cli, UnknownCommandIsAUsageError) {
    auto result = cli({"frobnicate"});
    EXPECT_EQ(result.exit_code, 2) << describe(result);
    EXPECT_THAT(result.err, HasSubstr("hpcexec: unknown command 'frobnicate'"));
}

TEST_F(Cli, UnknownOptionIsAUsageError) {
    auto result = cli({"status", "--frobnicate", "1"});
    EXPECT_EQ(result.exit_code, 2) << describe(result);
    EXPECT_THAT(result.err, HasSubstr("hpcexec: status: unrecognised option '--frobnicate'"));
    // Abbreviations are refused too, so that a new option can never change what a script's command line means.
    EXPECT_EQ(cli({"--clu", "a", "plugins"}).exit_code, 2);
}

TEST_F(Cli, MissingAndExtraOperandsAreUsageErrors) {
    auto missing = cli({"wait"});
    EXPECT_EQ(missing.exit_code, 2) << describe(missing);
    EXPECT_THAT(missing.err, HasSubstr("hpcexec: wait: missing operand: expects JOBID..."));
    auto extra = cli({"upload", "a", "b", "c"});
    EXPECT_EQ(extra.exit_code, 2) << describe(extra);
    EXPECT_THAT(extra.err, HasSubstr("upload: too many operands (expects LOCAL REMOTE)"));
    EXPECT_EQ(cli({"plugins", "x"}).exit_code, 2);
}

TEST_F(Cli, CommandGroupsNeedACommand) {
    auto bare = cli({"checkpoints"});
    EXPECT_EQ(bare.exit_code, 2) << describe(bare);
    EXPECT_THAT(bare.err, HasSubstr("'checkpoints' needs a command (known: checkpoints list, checkpoints clear)"));
    auto unknown = cli({"config", "fix"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_THAT(unknown.err, HasSubstr("unknown command 'config fix'"));
    auto help = cli({"checkpoints", "--help"});
    EXPECT_EQ(help.exit_code, 0) << describe(help);
    EXPECT_THAT(help.out, HasSubstr("checkpoints list [PREFIX]"));
    EXPECT_THAT(help.out, HasSubstr("checkpoints clear KEY..."));
}

TEST_F(Cli, UnknownLogLevelIsAUsageError) {
    auto result = cli({"--log-level", "loud", "plugins"});
    EXPECT_EQ(result.exit_code, 2) << describe(result);
    EXPECT_THAT(result.err, HasSubstr("--log-level: unknown log level 'loud'"));
}

TEST_F(Cli, JobIdsThatAreNotIdsAreRefused) {
    use_local_config();
    // `--me` would make scancel cancel every job of the user.
    auto result = cli({"cancel", "--", "--me"});
    EXPECT_EQ(result.exit_code, 2) << describe(result);
    EXPECT_THAT(result.err, HasSubstr("not a job id: '--me'"));
    EXPECT_EQ(cli({"status", "1;rm"}).exit_code, 2);
}

// `hpcexec <command> --help`: exit 0, the usage line, and the command's own options. Needs no configuration.
struct HelpCase {
    std::vector<std::string> command;
    std::string usage;
    std::vector<std::string> options;
};

// Shown in test listings instead of the parameter's bytes.
void PrintTo(const HelpCase& help_case, std::ostream* out) { *out << help_case.usage; }

class CliHelp : public hpcexec::test::CliTest, public testing::WithParamInterface<HelpCase> {};

TEST_P(CliHelp, ShowsUsageAndOptions) {
    auto args = GetParam().command;
    args.push_back("--help");
    auto result = cli(args);
    ASSERT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_THAT(result.out, StartsWith("Usage: hpcexec " + GetParam().usage + "\n"));
    for (const auto& option : GetParam().options) EXPECT_THAT(result.out, HasSubstr(option));
    EXPECT_THAT(result.out, HasSubstr("--config FILE"));  // the global options are listed on every command
    EXPECT_EQ(result.err, "");
}

INSTANTIATE_TEST_SUITE_P(
    EveryCommand, CliHelp,
    testing::Values(
        HelpCase{{"run"}, "run [options] CMD [ARG...]", {"--cwd DIR", "--shell", "--stdin", "--timeout SECONDS"}},
        HelpCase{{"submit"}, "submit [options] [SCRIPT|-]", {"--cwd DIR", "--checkpoint-key KEY", "--sbatch-arg ARG"}},
        HelpCase{{"status"}, "status [options] JOBID...", {"--cwd DIR", "vanished"}},
        HelpCase{{"wait"}, "wait [options] JOBID...", {"--cwd DIR", "--timeout SECONDS", "terminal"}},
        HelpCase{{"cancel"}, "cancel [options] JOBID...", {}},
        HelpCase{{"upload"}, "upload [options] LOCAL REMOTE", {"work_dir"}},
        HelpCase{{"download"}, "download [options] REMOTE LOCAL", {"work_dir"}},
        HelpCase{{"plugins"}, "plugins [options]", {"HPCEXEC_PLUGIN_PATH"}},
        HelpCase{{"config", "check"}, "config check [options]", {"--connect"}},
        HelpCase{{"checkpoints", "list"}, "checkpoints list [options] [PREFIX]", {}},
        HelpCase{{"checkpoints", "clear"}, "checkpoints clear [options] KEY...|--prefix PREFIX", {"--prefix PREFIX"}}),
    [](const testing::TestParamInfo<HelpCase>& param) {
        std::string name;
        for (const auto& word : param.param.command) name += word;
        return name;
    });

TEST_F(Cli, HelpBeforeTheCommandShowsTheCommandsHelp) {
    auto result = cli({"--help", "wait"});
    EXPECT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_THAT(result.out, StartsWith("Usage: hpcexec wait"));
}

// --- configuration ---

TEST_F(Cli, ConfigCheckSaysOk) {
    use_local_config();
    auto result = cli({"config", "check"});
    EXPECT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_EQ(result.out, "ok\n");
    EXPECT_EQ(result.err, "");
}

TEST_F(Cli, ConfigCheckOfSeveralClustersSaysOkWithTheirNames) {
    use_config("executors:\n  alpha: {queue_system: {slurm: {}}}\n  beta: {work_dir: /tmp}\n");
    auto result = cli({"config", "check"});
    EXPECT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_EQ(result.out, "ok (clusters: alpha, beta)\n");
}

TEST_F(Cli, SyntaxErrorIsAConfigurationErrorWithItsLine) {
    auto file = use_config("queue_system: {slurm: {}}\nwork_dir: [unclosed\n");
    for (auto args : {std::vector<std::string>{"config", "check"}, std::vector<std::string>{"run", "true"}}) {
        auto result = cli(args);
        EXPECT_EQ(result.exit_code, 3) << describe(result);
        EXPECT_THAT(result.err, StartsWith("hpcexec: " + file + ": line "));
        EXPECT_EQ(result.out, "");
    }
}

TEST_F(Cli, UnknownKeyIsReportedWithItsKeyPath) {
    auto file = use_config("queue_system: {slurm: {polling_intervall: 1}}\n");
    auto check = cli({"config", "check"});
    EXPECT_EQ(check.exit_code, 3) << describe(check);
    EXPECT_EQ(check.err, "hpcexec: " + file +
                             ": queue_system.slurm.polling_intervall: unknown key (did you mean polling_interval?)\n");
    auto run = cli({"status", "1"});
    EXPECT_EQ(run.exit_code, 3) << describe(run);
    EXPECT_THAT(run.err, HasSubstr("queue_system.slurm.polling_intervall: unknown key"));
}

TEST_F(Cli, ConfigCheckReportsEveryBadClusterWithItsKeyPath) {
    use_config("executors:\n"
               "  good: {queue_system: {slurm: {}}}\n"
               "  typo: {queue_system: {slurm: {polling_intervall: 1}}}\n"
               "  plugin: {queue_system: {pbs: {}}}\n"
               "  store: {checkpoint: {sqlitee: {}}}\n");
    auto result = cli({"config", "check"});
    EXPECT_EQ(result.exit_code, 3) << describe(result);
    EXPECT_EQ(result.out, "");
    // Errors that plugins raise (slurm's own options) get the cluster's place in the file too.
    EXPECT_THAT(result.err, HasSubstr("executors.typo.queue_system.slurm.polling_intervall: unknown key"));
    EXPECT_THAT(result.err, HasSubstr("executors.plugin.queue_system.pbs: unknown queue_system 'pbs'"));
    EXPECT_THAT(result.err, HasSubstr("executors.store.checkpoint: unknown checkpoint store 'sqlitee'"));
    EXPECT_THAT(result.err, Not(HasSubstr("executors.good")));

    auto json = cli({"config", "check", "--json"});
    EXPECT_EQ(json.exit_code, 3);
    auto document = boost::json::parse(json.out).as_object();
    EXPECT_EQ(document.at("ok"), false);
    EXPECT_EQ(document.at("clusters").as_array().size(), 4u);
    ASSERT_EQ(document.at("problems").as_array().size(), 3u);
    EXPECT_EQ(document.at("problems").as_array()[0].at("cluster"), "typo");
}

TEST_F(Cli, UnknownClusterListsTheKnownOnes) {
    use_config("executors:\n  alpha: {work_dir: /tmp}\n  beta: {work_dir: /tmp}\n");
    auto result = cli({"--cluster", "alpah", "run", "true"});
    EXPECT_EQ(result.exit_code, 3) << describe(result);
    EXPECT_THAT(result.err,
                HasSubstr("unknown cluster 'alpah' (did you mean alpha?); configured clusters: alpha, beta"));
    auto unnamed = cli({"run", "true"});
    EXPECT_EQ(unnamed.exit_code, 3) << describe(unnamed);
    EXPECT_THAT(unnamed.err, HasSubstr("several clusters are configured (alpha, beta): name one"));
    // --cluster after the command works as well.
    auto named = cli({"run", "--cluster", "beta", "pwd"});
    EXPECT_EQ(named.exit_code, 0) << describe(named);
    EXPECT_EQ(named.out, "/tmp\n");
}

TEST_F(Cli, MissingConfigurationFileIsAConfigurationError) {
    auto named = cli({"--config", (temp_dir_ / "missing.yaml").string(), "run", "true"});
    EXPECT_EQ(named.exit_code, 3) << describe(named);
    EXPECT_THAT(named.err, HasSubstr("missing.yaml: cannot read the configuration file"));
    // No --config, no $HPCEXEC_CONFIG, no ./hpcexec.yaml.
    CliRun run;
    run.args = {"status", "1"};
    run.env = env_;
    run.cwd = temp_dir_.string();
    auto unset = run_cli(run);
    EXPECT_EQ(unset.exit_code, 3) << describe(unset);
    EXPECT_THAT(unset.err, HasSubstr("no configuration: ./hpcexec.yaml does not exist"));
}

TEST_F(Cli, ConfigurationFromTheCurrentDirectoryAndFromTheCommandLine) {
    write_file("hpcexec.yaml", "work_dir: /tmp\n");
    write_file("other.yaml", "work_dir: /\n");
    CliRun run;
    run.args = {"run", "pwd"};
    run.env = env_;
    run.cwd = temp_dir_.string();
    auto from_directory = run_cli(run);
    EXPECT_EQ(from_directory.exit_code, 0) << describe(from_directory);
    EXPECT_EQ(from_directory.out, "/tmp\n");
    // --config wins over $HPCEXEC_CONFIG.
    env_["HPCEXEC_CONFIG"] = (temp_dir_ / "hpcexec.yaml").string();
    auto from_option = cli({"--config", (temp_dir_ / "other.yaml").string(), "run", "pwd"});
    EXPECT_EQ(from_option.out, "/\n") << describe(from_option);
}

TEST_F(Cli, UnreachableHostIsAConnectionError) {
    // The ssh connector is built by its own target; the full build (tools/test.sh) has it, a partial one may not.
    if (!std::filesystem::exists(std::filesystem::path(HPCEXEC_BUILD_PLUGIN_DIR) / "libhpcexec_connector_ssh.so")) {
        GTEST_SKIP() << "the ssh connector plugin is not built (target hpcexec_connector_ssh)";
    }
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    use_config("ssh: {host: 127.0.0.1, port: 1, connect_timeout: 5}\nwork_dir: /tmp\n");
    auto run = cli({"run", "true"});
    EXPECT_EQ(run.exit_code, 4) << describe(run);
    EXPECT_THAT(run.err, HasSubstr("127.0.0.1"));
    // `config check` does not connect unless asked to.
    EXPECT_EQ(cli({"config", "check"}).exit_code, 0);
    auto check = cli({"config", "check", "--connect"});
    EXPECT_EQ(check.exit_code, 4) << describe(check);
}

// --- plugins ---

TEST_F(Cli, PluginsJsonListsSlurmAndLocal) {
    auto result = cli({"plugins", "--json"});  // no configuration needed
    ASSERT_EQ(result.exit_code, 0) << describe(result);
    std::map<std::string, std::string> components;  // "kind name" -> file
    const auto document = boost::json::parse(result.out);
    for (const auto& library : document.at("plugins").as_array()) {
        EXPECT_FALSE(library.at("version").as_string().empty());
        for (const auto& component : library.at("components").as_array()) {
            components[std::string(component.at("kind").as_string()) + " " +
                       std::string(component.at("name").as_string())] = library.at("file").as_string().c_str();
        }
    }
    ASSERT_TRUE(components.count("queue_system slurm")) << result.out;
    ASSERT_TRUE(components.count("connector local")) << result.out;
    EXPECT_EQ(std::filesystem::path(components["connector local"]).parent_path(),
              std::filesystem::path(HPCEXEC_BUILD_PLUGIN_DIR));
}

TEST_F(Cli, PluginsTextShowsNameVersionFileAndComponents) {
    auto result = cli({"plugins"});
    ASSERT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_THAT(result.out, HasSubstr("hpcexec-slurm 0.1.0  " + std::string(HPCEXEC_BUILD_PLUGIN_DIR) +
                                      "/libhpcexec_queue_slurm.so\n    queue_system slurm\n"));
}

TEST_F(Cli, PluginsWithoutAnyPluginSaysWhereItLooked) {
    env_["HPCEXEC_PLUGIN_PATH"] = (temp_dir_ / "empty").string();
    std::filesystem::create_directories(temp_dir_ / "empty");
    auto result = cli({"plugins"});
    EXPECT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_THAT(result.err, HasSubstr("no plugins found"));
}

// --- py ---

TEST_F(Cli, PyCallsAFunctionWithJsonArgumentsAndPrintsItsValueAsJson) {
    use_local_config();
    auto add = cli({"py", "operator:add", "1", "2"});
    EXPECT_EQ(add.exit_code, 0) << describe(add);
    EXPECT_EQ(add.out, "3\n");
    // By source from a local file, with keyword arguments; what it prints goes to stderr, the value to stdout.
    std::string source = (temp_dir_ / "f.py").string();
    std::ofstream(source) << "def f(a, b=1, tag=''):\n    print('computing', tag)\n    return {'sum': a + b, 'tag': tag}\n";
    auto sum = cli({"py", "--source", source, "--kwargs", "{\"b\": 40, \"tag\": \"x y\"}", "f", "2"});
    EXPECT_EQ(sum.exit_code, 0) << describe(sum);
    EXPECT_EQ(boost::json::parse(sum.out), boost::json::parse("{\"sum\": 42, \"tag\": \"x y\"}")) << sum.out;
    EXPECT_EQ(sum.err, "computing x y\n");
    auto json = cli({"--json", "py", "--source", source, "f", "1"});
    EXPECT_EQ(json.exit_code, 0) << describe(json);
    EXPECT_EQ(boost::json::parse(json.out),
              boost::json::parse("{\"value\": {\"sum\": 2, \"tag\": \"\"}, \"output\": \"computing \\n\"}"))
        << json.out;
}

TEST_F(Cli, PyRefusesWhatItCannotCallAndReportsPythonExceptions) {
    use_local_config();
    auto not_json = cli({"py", "operator:add", "1", "two"});
    EXPECT_EQ(not_json.exit_code, 2) << describe(not_json);
    EXPECT_THAT(not_json.err, HasSubstr("argument 2 is not JSON"));
    auto bad_kwargs = cli({"py", "--kwargs", "[1]", "operator:add", "1", "2"});
    EXPECT_EQ(bad_kwargs.exit_code, 2) << describe(bad_kwargs);
    EXPECT_THAT(bad_kwargs.err, HasSubstr("--kwargs must be a JSON object"));
    auto bad_reference = cli({"py", "operator.add", "1"});
    EXPECT_EQ(bad_reference.exit_code, 2) << describe(bad_reference);
    EXPECT_THAT(bad_reference.err, HasSubstr("'package.module:qualname'"));
    auto raised = cli({"py", "operator:truediv", "1", "0"});
    EXPECT_EQ(raised.exit_code, 1) << describe(raised);
    EXPECT_THAT(raised.err, HasSubstr("ZeroDivisionError"));
    EXPECT_THAT(raised.err, HasSubstr("division by zero"));
    EXPECT_EQ(raised.out, "");
    auto missing = cli({"py", "no_such_module_here:f"});
    EXPECT_EQ(missing.exit_code, 1) << describe(missing);
    EXPECT_THAT(missing.err, HasSubstr("No module named 'no_such_module_here'"));
    // bytes have no JSON form: the error says so instead of printing something else.
    auto bytes = cli({"py", "builtins:bytes", "3"});
    EXPECT_EQ(bytes.exit_code, 7) << describe(bytes);
    EXPECT_THAT(bytes.err, HasSubstr("bytes"));
    EXPECT_EQ(bytes.out, "");
}

// --- run ---

TEST_F(Cli, RunPassesOutputAndExitStatusThrough) {
    use_local_config();
    auto result = cli({"run", "sh", "-c", "echo out; echo err >&2; exit 7"});
    EXPECT_EQ(result.exit_code, 7) << describe(result);
    EXPECT_EQ(result.out, "out\n");
    EXPECT_EQ(result.err, "err\n");
    EXPECT_EQ(cli({"run", "true"}).exit_code, 0);
}

TEST_F(Cli, RunHandsTheCommandsOwnOptionsToIt) {
    use_local_config();
    // Everything from the command on is the command's: --json and -x are printf's arguments here.
    auto result = cli({"run", "printf", "%s,", "--json", "-x", "a b"});
    EXPECT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_EQ(result.out, "--json,-x,a b,");
}

TEST_F(Cli, RunWithShellUsesTheShell) {
    use_local_config();
    auto result = cli({"run", "--shell", "echo", "$((6 * 7))", "|", "tr", "4", "x"});
    EXPECT_EQ(result.exit_code, 0) << describe(result);
    EXPECT_EQ(result.out, "x2\n");
}

TEST_F(Cli, RunInItsDirectoryWithStandardInput) {
    use_local_config();
    std::filesystem::create_directories(work_dir_ / "sub");
    auto where = cli({"run", "--cwd", "sub", "pwd"});
    EXPECT_EQ(where.out, (work_dir_ / "sub").string() + "\n") << describe(where);
    auto piped = cli({"run", "--stdin", "wc", "-c"}, "12345");
    EXPECT_EQ(piped.exit_code, 0) << describe(piped);
    EXPECT_EQ(piped.out, "5\n");
}

TEST_F(Cli, RunTimeoutKillsTheCommand) {
    use_local_config();
    auto result = cli({"run", "--timeout", "0.5", "sleep", "30"});
    EXPECT_EQ(result.exit_code, 6) << describe(result);
    EXPECT_THAT(result.err, HasSubstr("did not finish within --timeout 0.5 s"));
    auto bad = cli({"run", "--timeout", "soon", "true"});
    EXPECT_EQ(bad.exit_code, 2) << describe(bad);
}

TEST_F(Cli, RunOfAMissingProgramFails) {
    use_local_config();
    auto result = cli({"run", "no-such-program-hpcexec"});
    EXPECT_NE(result.exit_code, 0) << describe(result);
    EXPECT_NE(result.exit_code, 2);
}

// --- files ---

TEST_F(Cli, UploadAndDownloadRoundTrip) {
    use_local_config();
    std::string bytes("line 1\n\0binary\xff", 15);
    write_file("tree/a.bin", bytes);
    write_file("tree/sub/b.txt", "b\n");
    std::filesystem::create_directories(work_dir_);
    auto up = cli({"upload", (temp_dir_ / "tree").string(), "copy"});
    ASSERT_EQ(up.exit_code, 0) << describe(up);
    EXPECT_EQ(read_file(work_dir_ / "copy" / "a.bin"), bytes);
    auto down = cli({"download", "copy", (temp_dir_ / "back").string()});
    ASSERT_EQ(down.exit_code, 0) << describe(down);
    EXPECT_EQ(read_file(temp_dir_ / "back" / "a.bin"), bytes);
    EXPECT_EQ(read_file(temp_dir_ / "back" / "sub" / "b.txt"), "b\n");
    // One file, to an absolute remote path.
    auto file = cli({"upload", (temp_dir_ / "tree" / "sub" / "b.txt").string(), (temp_dir_ / "b-copy.txt").string()});
    EXPECT_EQ(file.exit_code, 0) << describe(file);
    EXPECT_EQ(read_file(temp_dir_ / "b-copy.txt"), "b\n");
}

TEST_F(Cli, TransfersOfMissingFilesNameThePath) {
    use_local_config();
    std::filesystem::create_directories(work_dir_);
    auto down = cli({"download", "not-there.txt", (temp_dir_ / "x").string()});
    EXPECT_EQ(down.exit_code, 7) << describe(down);
    EXPECT_THAT(down.err, HasSubstr((work_dir_ / "not-there.txt").string()));
    auto up = cli({"upload", (temp_dir_ / "not-here.txt").string(), "x"});
    EXPECT_EQ(up.exit_code, 7) << describe(up);
    EXPECT_THAT(up.err, HasSubstr("not-here.txt"));
}

// --- jobs without a scheduler, checkpoints without jobs ---

TEST_F(Cli, JobCommandsWithoutAQueueSystemAreConfigurationErrors) {
    use_local_config();
    for (auto args : {std::vector<std::string>{"submit", "-"}, std::vector<std::string>{"status", "1"},
                      std::vector<std::string>{"wait", "1"}, std::vector<std::string>{"cancel", "1"}}) {
        auto result = cli(args, "#!/bin/bash\ntrue\n");
        EXPECT_EQ(result.exit_code, 3) << args[0] << ": " << describe(result);
        EXPECT_THAT(result.err, HasSubstr("queue_system: this configuration has no queue system"));
    }
}

TEST_F(Cli, SubmitOfAnEmptyOrMissingScriptFails) {
    use_config("queue_system: {slurm: {}}\nwork_dir: '" + (temp_dir_ / "work").string() + "'\n");
    auto empty = cli({"submit"}, "");
    EXPECT_EQ(empty.exit_code, 2) << describe(empty);
    EXPECT_THAT(empty.err, HasSubstr("the script on standard input is empty"));
    auto missing = cli({"submit", (temp_dir_ / "nope.sh").string()});
    EXPECT_EQ(missing.exit_code, 7) << describe(missing);
    EXPECT_THAT(missing.err, HasSubstr("nope.sh"));
}

TEST_F(Cli, CheckpointsOfAnEmptyStore) {
    use_local_config();
    auto list = cli({"checkpoints", "list"});
    EXPECT_EQ(list.exit_code, 0) << describe(list);
    EXPECT_EQ(list.out, "");
    auto json = cli({"checkpoints", "list", "--json"});
    EXPECT_EQ(json.exit_code, 0) << describe(json);
    EXPECT_THAT(json.out, HasSubstr("\"records\":[]"));
    auto clear = cli({"checkpoints", "clear", "no/such/key"});
    EXPECT_EQ(clear.exit_code, 7) << describe(clear);
    EXPECT_THAT(clear.err, HasSubstr("has no record 'no/such/key'"));
    EXPECT_EQ(cli({"checkpoints", "clear", "--prefix", "none/"}).exit_code, 0);
}

TEST_F(Cli, CheckpointsClearNeedsKeysOrAPrefixButNotBoth) {
    use_local_config();
    EXPECT_EQ(cli({"checkpoints", "clear"}).exit_code, 2);
    auto both = cli({"checkpoints", "clear", "a", "--prefix", "b"});
    EXPECT_EQ(both.exit_code, 2) << describe(both);
    EXPECT_THAT(both.err, HasSubstr("give either KEY... or --prefix PREFIX"));
}

}  // namespace
