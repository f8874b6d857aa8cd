// StoreLock: the advisory lock (flock) that makes the `dir` store's read-check-write steps atomic across processes.
//
// Every process that opens the same store directory locks the same file in it. Writers (put, compare_and_set,
// erase) hold it exclusively from reading the current record until the new one is renamed into place; readers (get,
// list) hold it shared, so that they never walk a directory that a writer is removing. The kernel releases the lock
// when its holder exits, however it exits, so a crashed process never leaves the store locked.
//
// flock has no timeout, so acquire() polls with LOCK_NB: a holder that hangs (a stopped process) then surfaces as a
// StoreBusy error naming the lock file instead of hanging every other process too.
//
// THREAD: flock locks belong to an open file, which all threads of this object share, so it cannot keep two threads
// of one process apart: its owner serialises its threads itself (DirCheckpointStore holds a mutex).
#pragma once

#include <chrono>
#include <filesystem>
#include <stdexcept>

namespace hpcexec::checkpoint {

/// The lock was held by someone else for longer than the timeout; what() says so with the lock file and the wait.
class StoreBusy : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class StoreLock {
public:
    enum class Mode { shared, exclusive };

    /// Holds the lock until destroyed.
    class Held {
    public:
        explicit Held(int fd) : fd_(fd) {}
        ~Held();
        Held(const Held&) = delete;
        Held& operator=(const Held&) = delete;

    private:
        int fd_;
    };

    /// Nothing is opened yet: the lock file is created on the first acquire(), once the directory exists.
    explicit StoreLock(std::filesystem::path lock_file);
    ~StoreLock();
    StoreLock(const StoreLock&) = delete;
    StoreLock& operator=(const StoreLock&) = delete;

    /// Waits up to `timeout` for the lock. Throws StoreBusy when it stays taken, std::system_error when the lock file
    /// cannot be opened or created (an unwritable directory).
    [[nodiscard]] Held acquire(Mode mode, std::chrono::milliseconds timeout);

private:
    void open_lock_file();
    std::filesystem::path lock_file_;
    int fd_ = -1;
};

}  // namespace hpcexec::checkpoint
