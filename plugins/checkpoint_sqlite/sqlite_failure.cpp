// Classifies Poco::Data::SQLite's exceptions, one class per SQLite result code, into reasons a user can act on.
#include "sqlite_failure.hpp"

#include <Poco/Data/DataException.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>

namespace hpcexec::checkpoint {
namespace {

// Poco repeats SQLite's message for some errors ("file is not a database: file is not a database"): say it once.
std::string said_once(const std::string& message) {
    if (message.size() < 4 || message.size() % 2 != 0) return message;
    const std::string first = message.substr(0, (message.size() - 2) / 2);
    return message == first + ": " + first ? first : message;
}

template <class Exception>
bool is(const Poco::Exception& failure) {
    return dynamic_cast<const Exception*>(&failure) != nullptr;
}

}  // namespace

std::string sqlite_failure_reason(const std::exception& failure, const std::filesystem::path& file,
                                  std::chrono::milliseconds busy_timeout) {
    namespace sqlite = Poco::Data::SQLite;
    const auto* poco = dynamic_cast<const Poco::Exception*>(&failure);
    if (poco == nullptr) return failure.what();
    const std::string path = file.string();
    const std::string detail = " (" + said_once(poco->message()) + ")";
    // SQLITE_BUSY (another connection holds the write lock) and SQLITE_LOCKED (a conflict inside one connection).
    if (is<sqlite::DBLockedException>(*poco) || is<sqlite::TableLockedException>(*poco)) {
        return "the database " + path + " is locked by another process: waited " +
               std::to_string(busy_timeout.count()) + " ms (busy_timeout)" + detail;
    }
    // SQLITE_NOTADB and SQLITE_CORRUPT.
    if (is<sqlite::CorruptImageException>(*poco))
        return "the database file " + path + " is corrupt or not an SQLite database" + detail;
    if (is<sqlite::ReadOnlyException>(*poco) || is<sqlite::DBAccessDeniedException>(*poco))
        return "the database " + path + " is not writable" + detail;
    if (is<sqlite::CantOpenDBFileException>(*poco) || is<Poco::Data::ConnectionFailedException>(*poco)) {
        return "cannot open the database " + path + detail + "; the file and its directory must be writable" +
               " (SQLite creates " + path + "-wal and " + path + "-shm beside it)";
    }
    if (is<sqlite::DatabaseFullException>(*poco)) return "the file system holding " + path + " is full" + detail;
    if (is<sqlite::IOErrorException>(*poco)) return "I/O error on the database " + path + detail;
    return "SQLite failed on " + path + ": " + poco->displayText();
}

}  // namespace hpcexec::checkpoint
