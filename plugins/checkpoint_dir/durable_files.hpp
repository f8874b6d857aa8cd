// File operations of the `dir` checkpoint store that are durable when they return: each one fsyncs what it wrote and
// the directory entries it changed, so that a record reported as written survives a crash or a power cut.
//
// ERRORS: std::system_error whose what() names the operation and the path, followed by the system's error text
// ("cannot create a temporary file in /x: Permission denied").
// THREAD: plain blocking calls, safe from any thread; callers serialise writers of one directory themselves.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace hpcexec::checkpoint {

/// `mkdir -p`, made durable: every directory created is fsynced into its parent. An existing path that is not a
/// directory fails with "not a directory".
void make_directories(const std::filesystem::path& directory);

/// Replaces `file` with `bytes` atomically: the bytes go to a hidden temporary file in the same directory (so on the
/// same file system, where rename is atomic), which is fsynced, renamed over `file`, and the directory is fsynced.
/// A reader sees the old contents or the new, never a part, even across a crash. The directory must exist.
void write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

/// The contents of `file`, or nothing when there is no such file (a missing file, a missing parent, a parent that is
/// a file, or a directory at that path).
std::optional<std::string> read_file_if_exists(const std::filesystem::path& file);

/// Removes `file` and fsyncs its directory; false when there was no such file (as read_file_if_exists counts).
bool remove_file(const std::filesystem::path& file);

/// Removes `directory` and its ancestors up to, not including, `root`, as long as they are empty.
void remove_empty_directories(const std::filesystem::path& root, std::filesystem::path directory);

}  // namespace hpcexec::checkpoint
