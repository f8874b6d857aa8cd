// File operations on this machine, behind the local connector's file methods.
//
// Every path is taken literally (spaces, quotes, `$`, newlines are ordinary characters), except glob_paths()'s
// pattern; a relative path is relative to this process's current directory.
// ERRORS: every function throws FileError(operation, path, reason), the reason being the system's error text.
// THREAD: plain blocking calls (local disks offer no portable asynchronous interface); safe from any thread.
#pragma once

#include <hpcexec/connector.hpp>

#include <optional>
#include <string>
#include <vector>

namespace hpcexec::local {

std::string read_file(const std::string& path);

/// Writes `data` to a temporary file in the same directory, flushes it to disk, then renames it over `path`: readers
/// see the old contents or the new, never a part. A replaced file keeps its permission bits.
void write_file(const std::string& path, const std::string& data);

/// Copies a file, or a directory tree into `to` (created if missing), preserving permission bits and copying
/// symbolic links as links. `operation` names the copy in errors ("upload", "download").
void copy_tree(const std::string& operation, const std::string& from, const std::string& to);

/// `mkdir -p`.
void make_directories(const std::string& path);

/// The paths matching a shell pattern, sorted bytewise; none is not an error. Unreadable directories are skipped,
/// as a shell does.
std::vector<std::string> glob_paths(const std::string& pattern);

/// Removes a file (or an empty directory), or a whole tree when `recursive`; a missing path is not an error.
void remove_path(const std::string& path, bool recursive);

/// What is at `path`, symbolic links not followed; nothing when it does not exist.
std::optional<FileInfo> file_info(const std::string& path);

/// $HOME, or the password database's entry for this user when HOME is unset or empty.
std::string home_directory();

}  // namespace hpcexec::local
