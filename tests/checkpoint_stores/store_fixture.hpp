// What the checkpoint store tests share: the stores loaded through the real kernel from the build's plugin folder, a
// scratch directory per test, and small helpers.
#pragma once

#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/errors.hpp>
#include <hpcexec/kernel.hpp>
#include <hpcexec/logging.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace checkpoint_test {

namespace fs = std::filesystem;

/// Creates checkpoint stores with the kernel's plugin registry, as an executor does. Only the two checkpoint plugins
/// are loaded (not the whole plugin folder), so that these tests do not depend on other plugins being built.
class StoreLoader {
public:
    StoreLoader() {
        const fs::path plugins(HPCEXEC_BUILD_PLUGIN_DIR);
        registry_.load_library(plugins / "libhpcexec_checkpoint_sqlite.so");
        registry_.load_library(plugins / "libhpcexec_checkpoint_dir.so");
    }

    /// The store `name` ("sqlite", "dir") with configuration `config`; its config path is "checkpoint.<name>".
    std::shared_ptr<hpcexec::CheckpointStore> create(const std::string& name, const boost::json::value& config) {
        hpcexec::ComponentContext context{name,          "checkpoint." + name, config, loop_.executor(),
                                          hpcexec::get_logger("test"), nullptr, ""};
        return registry_.create_checkpoint_store(context);
    }

private:
    hpcexec::EventLoop loop_;
    hpcexec::PluginRegistry registry_;
};

/// A fresh directory under the system's temporary directory, removed with everything in it at the end.
class ScratchDirectory {
public:
    ScratchDirectory() {
        std::string pattern = (fs::temp_directory_path() / "hpcexec-checkpoint-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~ScratchDirectory() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    ScratchDirectory(const ScratchDirectory&) = delete;
    ScratchDirectory& operator=(const ScratchDirectory&) = delete;
    const fs::path& path() const noexcept { return path_; }

private:
    fs::path path_;
};

/// The stores that the store-independent tests run against, and the name each gives its tests ("…/sqlite").
inline const auto every_store = ::testing::Values(std::string("sqlite"), std::string("dir"));
inline std::string store_test_name(const ::testing::TestParamInfo<std::string>& test) { return test.param; }

/// Where a store of kind `name` keeps its records inside `scratch`: a database file or a directory.
inline fs::path store_path(const std::string& name, const fs::path& scratch) {
    return name == "sqlite" ? scratch / "checkpoints.db" : scratch / "checkpoints";
}

/// Runs `operation` and returns the CheckpointError's message; fails the test when nothing (or something else) is
/// thrown.
template <class Operation>
std::string checkpoint_error_of(Operation&& operation) {
    try {
        operation();
    } catch (const hpcexec::CheckpointError& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected a CheckpointError, got: " << e.what();
        return {};
    }
    ADD_FAILURE() << "expected a CheckpointError, nothing was thrown";
    return {};
}

/// Every byte value, zero included, `size` of them.
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

/// `haystack` contains `needle` (for EXPECT_PRED2-free, readable assertions with the whole message on failure).
#define EXPECT_CONTAINS(haystack, needle) \
    EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "in: " << (haystack)

}  // namespace checkpoint_test
