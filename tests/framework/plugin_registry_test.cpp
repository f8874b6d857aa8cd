// The plugin loader against real shared libraries, good and deliberately broken.
#include <hpcexec/errors.hpp>
#include <hpcexec/kernel.hpp>
#include <hpcexec/logging.hpp>

#include "common/expect_error.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using hpcexec::test::error_of;
using hpcexec::PluginError;
using hpcexec::PluginRegistry;
using hpcexec::plugin::ComponentKind;

namespace {

fs::path plugin_dir(const std::string& name) { return fs::path(TEST_PLUGIN_ROOT) / name; }
fs::path plugin_file(const std::string& name) { return plugin_dir(name) / ("lib" + name + ".so"); }

struct ContextFor {
    boost::json::value config = boost::json::object{};
    hpcexec::EventLoop loop;
    hpcexec::ComponentContext make(const std::string& name, const std::string& path) {
        return hpcexec::ComponentContext{name, path, config, loop.executor(), hpcexec::get_logger("test"), nullptr, ""};
    }
};

}  // namespace

TEST(PluginRegistry, LoadsAGoodPluginAndListsItsComponents) {
    PluginRegistry registry;
    registry.load_directory(plugin_dir("good_plugin"));
    auto plugins = registry.plugins();
    ASSERT_EQ(plugins.size(), 1u);
    EXPECT_EQ(plugins[0].name, "test-good");
    EXPECT_EQ(plugins[0].version, "1.2.3");
    EXPECT_EQ(plugins[0].file, fs::canonical(plugin_file("good_plugin")));
    EXPECT_TRUE(registry.has(ComponentKind::queue_system, "testqueue"));
    EXPECT_TRUE(registry.has(ComponentKind::serializer, "test"));
    EXPECT_EQ(registry.names(ComponentKind::queue_system), std::vector<std::string>{"testqueue"});
    // Loading the same file again changes nothing (and is not a duplicate).
    registry.load_library(plugin_file("good_plugin"));
    EXPECT_EQ(registry.plugins().size(), 1u);
}

TEST(PluginRegistry, MissingFileNamesTheFile) {
    PluginRegistry registry;
    auto message = error_of<hpcexec::PluginError>([&] { registry.load_library("/nonexistent/libnothing.so"); });
    EXPECT_NE(message.find("/nonexistent/libnothing.so"), std::string::npos) << message;
    EXPECT_NE(message.find("file not found"), std::string::npos) << message;
}

TEST(PluginRegistry, LibraryWithoutEntryPointIsNotAPlugin) {
    PluginRegistry registry;
    auto message = error_of<hpcexec::PluginError>([&] { registry.load_library(plugin_file("no_entry_point")); });
    EXPECT_NE(message.find("libno_entry_point.so"), std::string::npos) << message;
    EXPECT_NE(message.find("not an hpcexec plugin (no entry point hpcexec_plugin_descriptor)"), std::string::npos)
        << message;
}

TEST(PluginRegistry, AbiMismatchIsRefusedWithBothVersionsBeforeReadingAnythingElse) {
    PluginRegistry registry;
    // The wrong-ABI plugin's component pointer is garbage: reading it would crash this test.
    auto message = error_of<hpcexec::PluginError>([&] { registry.load_library(plugin_file("wrong_abi")); });
    EXPECT_NE(message.find("libwrong_abi.so"), std::string::npos) << message;
    EXPECT_NE(message.find("ABI version mismatch: expected 1, found 42"), std::string::npos) << message;
    EXPECT_TRUE(registry.plugins().empty());
}

TEST(PluginRegistry, UnresolvedSymbolIsReportedWithTheSymbol) {
    PluginRegistry registry;
    auto message = error_of<hpcexec::PluginError>([&] { registry.load_library(plugin_file("unresolved_symbol")); });
    EXPECT_NE(message.find("libunresolved_symbol.so"), std::string::npos) << message;
    EXPECT_NE(message.find("cannot be loaded"), std::string::npos) << message;
    EXPECT_NE(message.find("hpcexec_test_symbol_that_nobody_defines"), std::string::npos) << message;
}

TEST(PluginRegistry, FactoryThatThrowsIsReportedWithItsMessage) {
    PluginRegistry registry;
    registry.load_directory(plugin_dir("throwing_factory"));
    ContextFor ctx;
    auto message = error_of<hpcexec::PluginError>([&] { registry.create_checkpoint_store(ctx.make("broken", "checkpoint.broken")); });
    EXPECT_NE(message.find("libthrowing_factory.so"), std::string::npos) << message;
    EXPECT_NE(message.find("creating checkpoint_store 'broken' failed: cannot reach the license server"),
              std::string::npos)
        << message;
}

TEST(PluginRegistry, SecondComponentWithTheSameNameIsRefused) {
    PluginRegistry registry;
    registry.load_directory(plugin_dir("good_plugin"));
    auto message = error_of<hpcexec::PluginError>([&] { registry.load_directory(plugin_dir("duplicate_name")); });
    EXPECT_NE(message.find("libduplicate_name.so"), std::string::npos) << message;
    EXPECT_NE(message.find("queue_system 'testqueue' is already provided by"), std::string::npos) << message;
    EXPECT_NE(message.find("libgood_plugin.so"), std::string::npos) << message;
    // The refused library registered nothing and the first one is untouched.
    EXPECT_EQ(registry.plugins().size(), 1u);
}

TEST(PluginRegistry, FactoryReturningTheWrongInterfaceIsRefused) {
    PluginRegistry registry;
    registry.load_directory(plugin_dir("wrong_kind"));
    ContextFor ctx;
    auto message = error_of<hpcexec::PluginError>([&] { registry.create_connector(ctx.make("wrongkind", "connector.wrongkind")); });
    EXPECT_NE(message.find("returned an object that is not a connector"), std::string::npos) << message;
}

TEST(PluginRegistry, UnknownNameListsTheKnownNamesAndSuggests) {
    PluginRegistry registry;
    registry.load_directory(plugin_dir("good_plugin"));
    ContextFor ctx;
    try {
        registry.create_queue_system(ctx.make("testqueu", "queue_system.testqueu"));
        FAIL() << "expected ConfigError";
    } catch (const hpcexec::ConfigError& e) {
        std::string message = e.what();
        EXPECT_EQ(e.key_path(), "queue_system.testqueu");
        EXPECT_NE(message.find("unknown queue_system 'testqueu' (did you mean testqueue?)"), std::string::npos)
            << message;
        EXPECT_NE(message.find("known queue_system names: testqueue"), std::string::npos) << message;
    }
}

TEST(PluginRegistry, FactoryConfigErrorKeepsTheKeyPath) {
    PluginRegistry registry;
    registry.load_directory(plugin_dir("good_plugin"));
    ContextFor ctx;
    ctx.config = boost::json::object{{"polling_intervall", 5}};
    try {
        registry.create_queue_system(ctx.make("testqueue", "queue_system.testqueue"));
        FAIL() << "expected ConfigError";
    } catch (const hpcexec::ConfigError& e) {
        EXPECT_STREQ(e.what(), "queue_system.testqueue.polling_intervall: unknown key (did you mean polling_interval?)");
    }
}

TEST(PluginRegistry, ComponentKeepsItsLibraryLoadedUntilDestroyed) {
    ContextFor ctx;
    std::shared_ptr<hpcexec::QueueSystem> queue;
    auto file = fs::canonical(plugin_file("good_plugin")).string();
    {
        PluginRegistry registry;
        registry.load_directory(plugin_dir("good_plugin"));
        ctx.config = boost::json::object{{"polling_interval", "250ms"}};
        queue = registry.create_queue_system(ctx.make("testqueue", "queue_system.testqueue"));
    }
    // The registry is gone; the library must still be mapped, and its code callable.
    void* still_loaded = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    ASSERT_NE(still_loaded, nullptr) << "library was unloaded while a component lived";
    auto live = reinterpret_cast<int (*)()>(dlsym(still_loaded, "hpcexec_test_live_objects"));
    ASSERT_NE(live, nullptr);
    EXPECT_EQ(live(), 1);
    EXPECT_EQ(queue->polling_interval(), std::chrono::milliseconds(250));
    dlclose(still_loaded);  // our own NOLOAD reference
    queue.reset();
    // The last component is gone: the library is unloaded.
    EXPECT_EQ(dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD), nullptr) << "library still loaded after last component";
}

TEST(PluginRegistry, SearchPathUsesConfiguredDirectoriesAndTheEnvironment) {
    PluginRegistry registry;
    setenv("HPCEXEC_PLUGIN_PATH", (plugin_dir("throwing_factory").string() + ":/nonexistent-dir").c_str(), 1);
    registry.load_search_path({plugin_dir("good_plugin").string()});
    unsetenv("HPCEXEC_PLUGIN_PATH");
    EXPECT_TRUE(registry.has(ComponentKind::queue_system, "testqueue"));
    EXPECT_TRUE(registry.has(ComponentKind::checkpoint_store, "broken"));
    // A configured directory that does not exist is an error naming it.
    auto message = error_of<hpcexec::PluginError>([&] { registry.load_search_path({"/no/such/plugin/dir"}); });
    EXPECT_NE(message.find("/no/such/plugin/dir: not found or not a directory"), std::string::npos) << message;
}
