// The `local` connector as a plugin: its name, its configuration and its concurrency limit.
#include "local_connector_fixture.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <future>

using namespace local_test;
using hpcexec::CommandResult;
using hpcexec::ConfigError;

namespace {

// Creates the connector from `config` and returns the ConfigError; fails the test when there is none.
template <class Create> ConfigError config_error_of(Create&& create) {
    try {
        create();
    } catch (const ConfigError& error) {
        return error;
    }
    ADD_FAILURE() << "expected a ConfigError";
    return ConfigError("", "");
}

}  // namespace

TEST_F(LocalConnectorTest, IsTheLocalTarget) {
    EXPECT_EQ(connector_->target(), "local");
    EXPECT_TRUE(kernel_.registry().has(hpcexec::plugin::ComponentKind::connector, "local"));
}

TEST_F(LocalConnectorTest, ConfigurationRejectsUnknownKeysAndBadValues) {
    ConfigError typo = config_error_of([&] { create_connector(boost::json::parse(R"({"shel": "/bin/sh"})")); });
    EXPECT_EQ(typo.key_path(), "connector.local.shel");
    EXPECT_NE(std::string(typo.what()).find("did you mean shell?"), std::string::npos) << typo.what();

    EXPECT_EQ(config_error_of([&] { create_connector(boost::json::parse(R"({"shell": 5})")); }).key_path(),
              "connector.local.shell");
    EXPECT_EQ(config_error_of([&] { create_connector(boost::json::parse(R"({"shell": ""})")); }).key_path(),
              "connector.local.shell");
    EXPECT_EQ(
        config_error_of([&] { create_connector(boost::json::parse(R"({"max_concurrent_commands": 0})")); }).key_path(),
        "connector.local.max_concurrent_commands");
    EXPECT_NO_THROW(create_connector(boost::json::value()));  // null: like an empty section
}

TEST_F(LocalConnectorTest, ConfiguredShellRunsCommandLines) {
    const fs::path shell = scratch_ / ("shell " + awkward_name);
    write_whole_file(shell, "#!/bin/sh\nprintf 'shell got:'; printf ' [%s]' \"$@\"\n");
    fs::permissions(shell, fs::perms::owner_all);
    boost::json::object config;
    config["shell"] = shell.string();
    auto connector = create_connector(config);
    CommandResult result = wait(connector->run(shell_command("echo 'hi there'")));
    EXPECT_EQ(result.exit_status, 0) << result.stderr_data;
    EXPECT_EQ(result.stdout_data, "shell got: [-c] [echo 'hi there']");
}

TEST_F(LocalConnectorTest, CommandsBeyondTheConcurrencyLimitWaitTheirTurn) {
    boost::json::object config;
    config["max_concurrent_commands"] = 2;
    auto connector = create_connector(config);
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::future<CommandResult>> results;
    for (int i = 0; i < 6; ++i) {
        results.push_back(boost::asio::co_spawn(
            kernel_.loop().executor(), connector->run(shell_command("sleep 0.4; echo " + std::to_string(i))),
            boost::asio::use_future));
    }
    for (int i = 0; i < 6; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)].get().stdout_data, std::to_string(i) + "\n");
    // Three rounds of two.
    const auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_GE(elapsed, std::chrono::milliseconds(1200));
    EXPECT_LT(elapsed, std::chrono::seconds(10));
}
