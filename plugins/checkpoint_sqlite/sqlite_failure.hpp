// Turns what Poco::Data and SQLite report into the reason of a CheckpointError: which of the failures a user can act
// on it is (locked by another process, not a database, not writable, cannot be opened), with the database's path.
#pragma once

#include <chrono>
#include <exception>
#include <filesystem>
#include <string>

namespace hpcexec::checkpoint {

/// The reason for `failure` (a Poco::Exception from Poco::Data, or any other std::exception, whose what() is used
/// as it is) on the database `file`, whose connections wait `busy_timeout` for a lock.
std::string sqlite_failure_reason(const std::exception& failure, const std::filesystem::path& file,
                                  std::chrono::milliseconds busy_timeout);

}  // namespace hpcexec::checkpoint
