// Configuration: the original's document loads unchanged, the typed form is the same configuration, and every
// mistake is reported with its full key path.
#include <hpcexec/config.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>

#include "common/expect_error.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

using hpcexec::test::error_of;
using hpcexec::ConfigError;
using hpcexec::ExecutorConfig;

namespace {

const char* seed_yaml = R"(
ssh: {host: user01@hpc-login01, gateway: {host: user01@jump-host}}
queue_system: {slurm: {}}
work_dir: /home/user01/ai2-kit/work_dir
python_cmd: /home/user01/conda/env/py39/bin/python
)";

// The same document as the original's Python dictionary, written as JSON.
const char* seed_json = R"({
    "ssh": {"host": "user01@hpc-login01", "gateway": {"host": "user01@jump-host"}},
    "queue_system": {"slurm": {}},
    "work_dir": "/home/user01/ai2-kit/work_dir",
    "python_cmd": "/home/user01/conda/env/py39/bin/python"
})";

ExecutorConfig seed_typed() {
    ExecutorConfig config;
    config.ssh = hpcexec::SshConfig{};
    config.ssh->host = "user01@hpc-login01";
    config.ssh->gateway = std::make_shared<hpcexec::SshConfig>();
    config.ssh->gateway->host = "user01@jump-host";
    config.queue_system = hpcexec::ComponentChoice{"slurm", {}};
    config.work_dir = "/home/user01/ai2-kit/work_dir";
    config.python_cmd = "/home/user01/conda/env/py39/bin/python";
    return config;
}

ExecutorConfig parse(const std::string& text) { return hpcexec::select_cluster(hpcexec::parse_config_text(text), ""); }

}  // namespace

TEST(Config, SeedExampleLoadsUnchangedFromYamlAndJson) {
    auto from_yaml = parse(seed_yaml);
    ASSERT_TRUE(from_yaml.ssh);
    EXPECT_EQ(from_yaml.ssh->host, "user01@hpc-login01");
    ASSERT_TRUE(from_yaml.ssh->gateway);
    EXPECT_EQ(from_yaml.ssh->gateway->host, "user01@jump-host");
    ASSERT_TRUE(from_yaml.queue_system);
    EXPECT_EQ(from_yaml.queue_system->name, "slurm");
    EXPECT_TRUE(from_yaml.queue_system->options.empty());
    EXPECT_EQ(from_yaml.work_dir, "/home/user01/ai2-kit/work_dir");
    EXPECT_EQ(from_yaml.python_cmd, "/home/user01/conda/env/py39/bin/python");
    EXPECT_EQ(from_yaml, parse(seed_json));
}

TEST(Config, TypedFormIsTheSameConfiguration) {
    EXPECT_EQ(parse(seed_yaml), seed_typed());
    // And the typed form's document reads back to itself.
    EXPECT_EQ(ExecutorConfig::from_json(seed_typed().to_json()), seed_typed());
    auto different = seed_typed();
    different.ssh->gateway->host = "user01@other-jump";
    EXPECT_FALSE(parse(seed_yaml) == different);
}

TEST(Config, TypedAndDocumentFormsGiveTheSameExecutor) {
    // Local (no ssh key) with the test queue plugin, so both executors can really be built here.
    std::string plugins = std::string(TEST_PLUGIN_ROOT) + "/good_plugin";
    std::string yaml = "queue_system: {testqueue: {polling_interval: 2}}\nwork_dir: /tmp/hpcexec-config-test\n"
                       "plugin_dirs: [" + plugins + "]\n";
    ExecutorConfig typed;
    typed.queue_system = hpcexec::ComponentChoice{"testqueue", {{"polling_interval", 2}}};
    typed.work_dir = "/tmp/hpcexec-config-test";
    typed.plugin_dirs = {plugins};
    setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
    auto from_text = hpcexec::HpcExecutor::from_config_text(yaml, "lab");
    auto from_typed = hpcexec::HpcExecutor::from_config(typed, "lab");
    EXPECT_EQ(from_text->config(), from_typed->config());
    EXPECT_EQ(from_text->connector()->target(), from_typed->connector()->target());
    ASSERT_TRUE(from_text->queue_system());
    EXPECT_EQ(from_text->queue_system()->polling_interval(), std::chrono::seconds(2));
    EXPECT_EQ(from_typed->queue_system()->polling_interval(), std::chrono::seconds(2));
}

TEST(Config, UnknownKeysNameTheFullPathAndSuggest) {
    EXPECT_EQ(error_of<ConfigError>([] { parse("work_dri: /x\n"); }), "work_dri: unknown key (did you mean work_dir?)");
    EXPECT_EQ(error_of<ConfigError>([] { parse("ssh: {host: h, gateway: {host: g, prot: 22}}\n"); }),
              "ssh.gateway.prot: unknown key (did you mean port?)");
}

TEST(Config, PluginOptionsAreValidatedByThePluginWithTheFullPath) {
    std::string plugins = std::string(TEST_PLUGIN_ROOT) + "/good_plugin";
    setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
    EXPECT_EQ(error_of<ConfigError>([&] {
                  hpcexec::HpcExecutor::from_config_text(
                      "queue_system: {testqueue: {polling_intervall: 5}}\nplugin_dirs: [" + plugins + "]\n");
              }),
              "queue_system.testqueue.polling_intervall: unknown key (did you mean polling_interval?)");
    auto unknown = error_of<ConfigError>([&] {
        hpcexec::HpcExecutor::from_config_text("queue_system: {testqueu: {}}\nplugin_dirs: [" + plugins + "]\n");
    });
    EXPECT_NE(unknown.find("queue_system.testqueu: unknown queue_system 'testqueu' (did you mean testqueue?)"),
              std::string::npos)
        << unknown;
}

TEST(Config, PluginOptionErrorsInAMultiClusterFileNameTheCluster) {
    std::string plugins = std::string(TEST_PLUGIN_ROOT) + "/good_plugin";
    setenv("HPCEXEC_PLUGIN_PATH", HPCEXEC_BUILD_PLUGIN_DIR, 1);
    std::string file = "executors:\n"
                       "  ok: {work_dir: /tmp/a}\n"
                       "  lab: {queue_system: {testqueue: {polling_intervall: 5}}, plugin_dirs: [" + plugins + "]}\n";
    EXPECT_EQ(error_of<ConfigError>([&] { hpcexec::HpcExecutor::from_config_text(file, "lab"); }),
              "executors.lab.queue_system.testqueue.polling_intervall: unknown key (did you mean polling_interval?)");
}

TEST(Config, WrongTypesNameTheFullPath) {
    EXPECT_EQ(error_of<ConfigError>([] { parse("ssh: {host: h, port: twenty-two}\n"); }),
              "ssh.port: expected an integer, found a string");
    EXPECT_EQ(error_of<ConfigError>([] { parse("ssh: {host: h, port: 70000}\n"); }),
              "ssh.port: must be between 1 and 65535, found 70000");
    EXPECT_EQ(error_of<ConfigError>([] { parse("work_dir: [a, b]\n"); }), "work_dir: expected a string, found a list");
    EXPECT_EQ(error_of<ConfigError>([] { parse("ssh: {gateway: {host: g}}\n"); }),
              "ssh.host: required (user@host or user@host:port)");
    EXPECT_EQ(error_of<ConfigError>([] { parse("ssh: {host: h, host_key_checking: maybe}\n"); }),
              "ssh.host_key_checking: unknown value 'maybe' (expected one of: strict, accept-new, off)");
    EXPECT_EQ(error_of<ConfigError>([] { parse("queue_system: {slurm: {}, pbs: {}}\n"); }),
              "queue_system: expected exactly one key naming the component (e.g. {slurm: {}}), found 2");
    EXPECT_EQ(error_of<ConfigError>([] { parse("ssh: {host: h}\nconnector: {local: {}}\n"); }),
              "connector: give either ssh or connector, not both");
    EXPECT_EQ(error_of<ConfigError>([] { parse("log_level: loud\n"); }),
              "log_level: unknown value 'loud' (expected one of: trace, debug, info, warn, error, off)");
}

TEST(Config, SyntaxErrorsGiveLineAndColumn) {
    auto message = error_of<ConfigError>([] { hpcexec::parse_config_text("work_dir: /x\nssh: {host: [\n", "bad.yaml"); });
    EXPECT_NE(message.find("bad.yaml: line "), std::string::npos) << message;
    EXPECT_NE(message.find("column"), std::string::npos) << message;
    auto missing = error_of<ConfigError>([] { hpcexec::parse_config_file("/nonexistent/hpcexec.yaml"); });
    EXPECT_NE(missing.find("/nonexistent/hpcexec.yaml: cannot read the configuration file"), std::string::npos);
}

TEST(Config, YamlScalarsAreTyped) {
    auto doc = hpcexec::parse_config_text("a: 5\nb: '5'\nc: true\nd: 0.5\ne: ~\nf: text\n");
    EXPECT_TRUE(doc.at("a").is_int64());
    EXPECT_TRUE(doc.at("b").is_string());
    EXPECT_TRUE(doc.at("c").is_bool());
    EXPECT_TRUE(doc.at("d").is_double());
    EXPECT_TRUE(doc.at("e").is_null());
    EXPECT_EQ(doc.at("f").as_string(), "text");
    EXPECT_NE(error_of<ConfigError>([] { hpcexec::parse_config_text("a: 1\na: 2\n"); }).find("duplicate key"), std::string::npos);
}

TEST(Config, HostileDocumentsAreRefusedNotCrashed) {
    std::string deep(10000, '[');
    EXPECT_THROW(hpcexec::parse_config_text(deep), ConfigError);
    std::string deep_map;
    for (int i = 0; i < 200; ++i) deep_map += "{a: ";
    EXPECT_THROW(hpcexec::parse_config_text(deep_map), ConfigError);
    EXPECT_THROW(parse("[1, 2]"), ConfigError);
}

TEST(Config, MultiClusterDocumentsSelectByName) {
    const char* doc = R"(
executors:
  cheng-lab: {work_dir: /a, queue_system: {slurm: {}}}
  other-lab: {work_dir: /b}
)";
    auto parsed = hpcexec::parse_config_text(doc);
    EXPECT_EQ(hpcexec::select_cluster(parsed, "cheng-lab").work_dir, "/a");
    EXPECT_EQ(hpcexec::select_cluster(parsed, "other-lab").work_dir, "/b");
    EXPECT_EQ(hpcexec::cluster_names(parsed), (std::vector<std::string>{"cheng-lab", "other-lab"}));
    EXPECT_EQ(error_of<ConfigError>([&] { hpcexec::select_cluster(parsed, "cheng-lap"); }),
              "executors: unknown cluster 'cheng-lap' (did you mean cheng-lab?); configured clusters: cheng-lab, other-lab");
    EXPECT_EQ(error_of<ConfigError>([&] { hpcexec::select_cluster(parsed, ""); }),
              "executors: several clusters are configured (cheng-lab, other-lab): name one");
    // Errors inside a cluster carry the cluster's path.
    auto bad = hpcexec::parse_config_text("executors: {lab: {work_dir: /a, wrok_dir: 1}}");
    EXPECT_EQ(error_of<ConfigError>([&] { hpcexec::select_cluster(bad, "lab"); }), "executors.lab.wrok_dir: unknown key (did you mean work_dir?)");
}
