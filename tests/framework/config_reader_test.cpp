// ConfigReader: typed reading with key paths, unknown keys with suggestions.
#include <hpcexec/config_reader.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/logging.hpp>

#include "common/expect_error.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

using hpcexec::test::error_of;
using hpcexec::ConfigError;
using hpcexec::ConfigReader;

TEST(ConfigReader, ReadsTypedValues) {
    auto doc = boost::json::parse(R"({"a": "x", "b": true, "c": 7, "d": "500ms", "e": 2, "f": ["p", "q"], "g": "s"})");
    ConfigReader r(doc, "top");
    EXPECT_EQ(r.string("a"), "x");
    EXPECT_EQ(r.boolean("b"), true);
    EXPECT_EQ(r.integer("c"), 7);
    EXPECT_EQ(r.duration("d"), std::chrono::milliseconds(500));
    EXPECT_EQ(r.duration("e"), std::chrono::seconds(2));
    EXPECT_EQ(r.string_list("f"), (std::vector<std::string>{"p", "q"}));
    EXPECT_EQ(r.string_list("g"), (std::vector<std::string>{"s"}));
    EXPECT_EQ(r.string("missing", "default"), "default");
    EXPECT_NO_THROW(r.finish());
}

TEST(ConfigReader, WrongTypesNameTheKeyPath) {
    auto doc = boost::json::parse(R"({"n": "ten", "s": 3, "l": ["a", 1], "d": "soon", "r": 0})");
    EXPECT_EQ(error_of<ConfigError>([&] { ConfigReader(doc, "queue_system.slurm").integer("n"); }),
              "queue_system.slurm.n: expected an integer, found a string");
    EXPECT_EQ(error_of<ConfigError>([&] { ConfigReader(doc, "x").string("s"); }), "x.s: expected a string, found an integer");
    EXPECT_EQ(error_of<ConfigError>([&] { ConfigReader(doc, "x").string_list("l"); }), "x.l[1]: expected a string, found an integer");
    EXPECT_NE(error_of<ConfigError>([&] { ConfigReader(doc, "x").duration("d"); }).find("x.d: expected a duration"), std::string::npos);
    EXPECT_EQ(error_of<ConfigError>([&] { ConfigReader(doc, "x").integer("r", 1, 10); }), "x.r: must be between 1 and 10, found 0");
    EXPECT_EQ(error_of<ConfigError>([&] { ConfigReader(boost::json::value(3), "ssh"); }), "ssh: expected a mapping, found an integer");
}

TEST(ConfigReader, UnknownKeySuggestsTheClosestKnownOne) {
    auto doc = boost::json::parse(R"({"polling_intervall": 5})");
    ConfigReader r(doc, "queue_system.slurm");
    r.duration("polling_interval");
    r.string("sbatch_bin");
    EXPECT_EQ(error_of<ConfigError>([&] { r.finish(); }),
              "queue_system.slurm.polling_intervall: unknown key (did you mean polling_interval?)");
}

TEST(ConfigReader, UnknownKeyFarFromAnyListsTheKnownKeys) {
    auto doc = boost::json::parse(R"({"zzz": 5})");
    ConfigReader r(doc, "");
    r.string("host");
    r.integer("port");
    EXPECT_EQ(error_of<ConfigError>([&] { r.finish(); }), "zzz: unknown key (known keys: host, port)");
}

TEST(Logging, LevelComesFromConfigAndBadLevelsNameTheKey) {
    auto logger = hpcexec::get_logger("test-logging");
    hpcexec::set_log_level("debug");
    EXPECT_TRUE(logger->should_log(spdlog::level::debug));
    // Loggers created later get the same level.
    EXPECT_TRUE(hpcexec::get_logger("test-logging-later")->should_log(spdlog::level::debug));
    hpcexec::set_log_level("warn");
    EXPECT_FALSE(logger->should_log(spdlog::level::info));
    EXPECT_EQ(error_of<ConfigError>([] { hpcexec::set_log_level("loud", "executors.lab.log_level"); }),
              "executors.lab.log_level: unknown log level 'loud' (expected trace, debug, info, warn, error or off)");
}
