// What every test of the `local` connector shares: the connector loaded through the real kernel, a scratch directory,
// and small helpers.
#pragma once

#include "process_watch.hpp"

#include <hpcexec/connector.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/kernel.hpp>
#include <hpcexec/logging.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace local_test {

namespace fs = std::filesystem;

/// A file name made of everything a careless implementation would interpret: spaces, both quotes, `$`, backquotes and
/// a newline. (No glob characters: glob patterns are the one place where paths are interpreted.)
inline const std::string awkward_name = "sp ace 'single' \"double\" $HOME `id` new\nline";

/// Bytes of every value, zero included, `size` of them.
inline std::string binary_data(std::size_t size) {
    std::string data(size, '\0');
    for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 256) % 256);
    return data;
}

inline std::string read_whole_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_whole_file(const fs::path& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << data;
}

using process_watch::process_dies_within;
using process_watch::process_is_running;

/// A command line for the shell, and a command run without one; the other fields are set by the caller.
inline hpcexec::CommandSpec shell_command(std::string line) {
    hpcexec::CommandSpec spec;
    spec.command = std::move(line);
    return spec;
}
inline hpcexec::CommandSpec argv_command(std::vector<std::string> argv) {
    hpcexec::CommandSpec spec;
    spec.command = std::move(argv);
    return spec;
}

/// Runs `operation` and returns the FileError it throws; fails the test when it throws nothing.
template <class Operation> hpcexec::FileError file_error_of(Operation&& operation) {
    try {
        operation();
    } catch (const hpcexec::FileError& error) {
        return error;
    }
    ADD_FAILURE() << "expected a FileError";
    return hpcexec::FileError("", "", "");
}

/// Loads the plugins built by this build through a real kernel and creates the `local` connector, with a fresh
/// scratch directory for each test.
class LocalConnectorTest : public ::testing::Test {
protected:
    LocalConnectorTest() {
        kernel_.registry().load_directory(HPCEXEC_BUILD_PLUGIN_DIR);
        connector_ = create_connector(boost::json::object{});
        std::string pattern = (fs::temp_directory_path() / "hpcexec-local-test-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
        scratch_ = pattern;
    }

    ~LocalConnectorTest() override {
        connector_.reset();
        // Some tests make read-only directories; make everything writable again so that it can be removed.
        std::error_code ignored;
        for (auto it = fs::recursive_directory_iterator(scratch_, ignored); it != fs::recursive_directory_iterator();
             it.increment(ignored)) {
            if (it->is_directory(ignored) && !it->is_symlink(ignored)) {
                fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
            }
        }
        fs::remove_all(scratch_, ignored);
    }

    std::shared_ptr<hpcexec::Connector> create_connector(const boost::json::value& config) {
        hpcexec::ComponentContext context{"local", "connector.local", config, kernel_.loop().executor(),
                                          hpcexec::get_logger("local"), nullptr, ""};
        return kernel_.registry().create_connector(context);
    }

    /// Awaits one of the connector's operations from this (non-loop) thread.
    template <class T> T wait(boost::asio::awaitable<T> operation) {
        return kernel_.loop().sync_wait(std::move(operation));
    }

    hpcexec::CommandResult run(hpcexec::CommandSpec spec) { return wait(connector_->run(std::move(spec))); }
    hpcexec::CommandResult run_shell(std::string line) { return run(shell_command(std::move(line))); }
    hpcexec::CommandResult run_argv(std::vector<std::string> argv) { return run(argv_command(std::move(argv))); }

    hpcexec::Kernel kernel_;
    std::shared_ptr<hpcexec::Connector> connector_;
    /// Removed with everything in it after each test.
    fs::path scratch_;
};

}  // namespace local_test
