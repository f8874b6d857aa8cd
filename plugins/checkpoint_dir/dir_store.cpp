// The `dir` checkpoint store: key rules and error wording from checkpoint_common, the file format from record_file,
// durable writes from durable_files, cross-process atomicity from store_lock.
#include "dir_store.hpp"

#include "checkpoint_common.hpp"
#include "durable_files.hpp"
#include "record_file.hpp"

#include <algorithm>
#include <stdexcept>
#include <system_error>

namespace hpcexec::checkpoint {
namespace {

namespace fs = std::filesystem;

fs::path absolute_directory(const fs::path& path) {
    fs::path root = fs::absolute(path).lexically_normal();
    // "/x/y/" normalises to "/x/y/" (an empty last element): drop it so that "dir:/x/y" is how the store is named.
    if (!root.has_filename() && root != root.root_path()) root = root.parent_path();
    return root;
}

// True when the subtree of `directory` (a key prefix such as "a/b") may hold keys that start with `prefix`.
bool may_hold_prefix(const std::string& directory, const std::string& prefix) {
    const std::string below = directory + "/";
    return below.starts_with(prefix) || prefix.starts_with(below);
}

}  // namespace

DirCheckpointStore::DirCheckpointStore(const fs::path& root, std::chrono::milliseconds busy_timeout)
    : root_(absolute_directory(root)), busy_timeout_(busy_timeout), lock_(root_ / ".lock") {}

std::string DirCheckpointStore::describe() const { return "dir:" + root_.string(); }

template <class Operation>
auto DirCheckpointStore::locked(StoreLock::Mode mode, Operation&& operation) {
    std::lock_guard guard(mutex_);
    make_directories(root_);
    auto held = lock_.acquire(mode, busy_timeout_);
    return operation();
}

fs::path DirCheckpointStore::file_of(const std::string& key) const {
    // validate_key has made sure that the key is a relative path without "." or ".." segments.
    return root_ / key;
}

std::optional<CheckpointRecord> DirCheckpointStore::read_record(const std::string& key) const {
    const fs::path file = file_of(key);
    auto bytes = read_file_if_exists(file);
    if (!bytes) return std::nullopt;
    try {
        return decode_record_file(*bytes);
    } catch (const MalformedRecord& e) {
        throw std::runtime_error(corrupt_record_reason(e.what()) + " in " + file.string());
    }
}

void DirCheckpointStore::write_record(const std::string& key, std::uint64_t version, const std::string& data) const {
    const fs::path file = file_of(key);
    // A key is a file and its sub-keys live in a directory of the same name, so "a" and "a/b" cannot both exist. Say
    // so, rather than let the system's "Not a directory" / "Is a directory" puzzle the user.
    std::error_code ignored;
    for (fs::path above = file.parent_path(); above != root_; above = above.parent_path()) {
        if (fs::is_regular_file(above, ignored)) {
            throw std::runtime_error("'" + above.lexically_relative(root_).generic_string() +
                                     "' is itself a record, and the dir store cannot keep keys below a record");
        }
    }
    if (fs::is_directory(file, ignored)) {
        throw std::runtime_error("the dir store keeps other keys below this one ('" + key +
                                 "/...'), so it cannot hold a record itself");
    }
    make_directories(file.parent_path());
    write_file_atomically(file, encode_record_file(version, data));
}

std::optional<CheckpointRecord> DirCheckpointStore::get(const std::string& key) {
    validate_key(describe(), key);
    try {
        return locked(StoreLock::Mode::shared, [&] { return read_record(key); });
    } catch (const std::exception& e) {
        throw key_error(describe(), key, e.what());
    }
}

void DirCheckpointStore::put(const std::string& key, const std::string& data) {
    validate_key(describe(), key);
    try {
        locked(StoreLock::Mode::exclusive, [&] {
            // A corrupt current record fails here too: its version cannot be trusted, and reusing one would let a
            // stale compare_and_set succeed. erase() removes it without reading it.
            const auto current = read_record(key);
            write_record(key, current ? current->version + 1 : 1, data);
        });
    } catch (const std::exception& e) {
        throw key_error(describe(), key, e.what());
    }
}

bool DirCheckpointStore::compare_and_set(const std::string& key, std::optional<std::uint64_t> expected_version,
                                         const std::string& data) {
    validate_key(describe(), key);
    try {
        return locked(StoreLock::Mode::exclusive, [&] {
            const auto current = read_record(key);
            const bool matches = expected_version ? current && current->version == *expected_version : !current;
            if (!matches) return false;
            write_record(key, current ? current->version + 1 : 1, data);
            return true;
        });
    } catch (const std::exception& e) {
        throw key_error(describe(), key, e.what());
    }
}

bool DirCheckpointStore::erase(const std::string& key) {
    validate_key(describe(), key);
    try {
        return locked(StoreLock::Mode::exclusive, [&] {
            const fs::path file = file_of(key);
            if (!remove_file(file)) return false;
            remove_empty_directories(root_, file.parent_path());
            return true;
        });
    } catch (const std::exception& e) {
        throw key_error(describe(), key, e.what());
    }
}

std::vector<std::string> DirCheckpointStore::list(const std::string& prefix) {
    try {
        return locked(StoreLock::Mode::shared, [&] {
            std::vector<std::string> keys;
            for (fs::recursive_directory_iterator entry(root_), end; entry != end; ++entry) {
                const fs::path& path = entry->path();
                const std::string key = path.lexically_relative(root_).generic_string();
                const bool hidden = path.filename().string().starts_with('.');  // the store's own files
                if (entry->is_directory()) {
                    if (hidden || !may_hold_prefix(key, prefix)) entry.disable_recursion_pending();
                } else if (!hidden && entry->is_regular_file() && key.starts_with(prefix)) {
                    keys.push_back(key);
                }
            }
            std::sort(keys.begin(), keys.end());
            return keys;
        });
    } catch (const std::exception& e) {
        throw list_error(describe(), prefix, e.what());
    }
}

}  // namespace hpcexec::checkpoint
