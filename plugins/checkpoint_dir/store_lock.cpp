// The `dir` store's cross-process lock, with flock(2) on one file per store directory.
#include "store_lock.hpp"

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace hpcexec::checkpoint {

StoreLock::StoreLock(std::filesystem::path lock_file) : lock_file_(std::move(lock_file)) {}

StoreLock::~StoreLock() {
    if (fd_ >= 0) ::close(fd_);
}

StoreLock::Held::~Held() { ::flock(fd_, LOCK_UN); }

void StoreLock::open_lock_file() {
    if (fd_ >= 0) return;
    // O_CLOEXEC: a lock shared with a child process (sbatch, ssh) would be held for as long as the child runs.
    fd_ = ::open(lock_file_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    const int error = errno;
    // A store on a read-only file system can still be read: a read-only descriptor can be locked as well.
    if (error == EACCES || error == EROFS) fd_ = ::open(lock_file_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        // The first error is the one that explains: "Permission denied" rather than the fallback's "No such file".
        throw std::system_error(error, std::generic_category(),
                                "cannot open or create the lock file " + lock_file_.string());
    }
}

StoreLock::Held StoreLock::acquire(Mode mode, std::chrono::milliseconds timeout) {
    open_lock_file();
    const int operation = (mode == Mode::exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    const auto started = std::chrono::steady_clock::now();
    // Short sleeps first, so that a lock held for one write (milliseconds) is taken promptly; at most 20 ms between
    // tries, so that a waiter does not oversleep a release by much.
    auto pause = std::chrono::milliseconds(1);
    while (::flock(fd_, operation) != 0) {
        if (errno == EINTR) continue;
        if (errno != EWOULDBLOCK) {
            throw std::system_error(errno, std::generic_category(), "cannot lock " + lock_file_.string());
        }
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (waited >= timeout) {
            throw StoreBusy("locked by another process: waited " + std::to_string(waited.count()) +
                            " ms (busy_timeout) for " + lock_file_.string());
        }
        std::this_thread::sleep_for(std::min(pause, timeout - waited));
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
    return Held(fd_);
}

}  // namespace hpcexec::checkpoint
