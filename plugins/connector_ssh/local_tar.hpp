// LocalTar: the local half of a directory transfer, a `tar` process on this machine driven from the event loop.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/writable_pipe.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace hpcexec::ssh {

/// `tar -C <dir> -cf - .` (create: the archive is read from its standard output) or `tar -C <dir> -xof -`
/// (extract: the archive is written to its standard input), started with posix_spawnp. Its standard error goes to
/// an anonymous memory file, read after it exits (so it can never block on a full pipe).
/// Waiting for its exit polls waitpid with WNOHANG on a short timer: tar exits right after its stream ends.
/// OWNERSHIP: the destructor kills and reaps a tar that is still running. THREAD: the event loop's thread only.
class LocalTar {
public:
    enum class Mode { create, extract };
    /// Starts tar. Throws FileError(`operation`, `directory`, ...) when it cannot.
    LocalTar(const boost::asio::any_io_executor& executor, Mode mode, const std::string& directory,
             const std::string& operation);
    ~LocalTar();
    LocalTar(const LocalTar&) = delete;
    LocalTar& operator=(const LocalTar&) = delete;

    /// create: the next bytes of the archive; 0 at its end.
    boost::asio::awaitable<std::size_t> read_some(char* buffer, std::size_t size);
    /// extract: writes archive bytes (a tar that stopped reading is reported by finish(), not here).
    boost::asio::awaitable<void> write_all(std::string_view data);
    /// extract: the end of the archive.
    void close_input();
    /// Waits for tar to exit; throws FileError with its standard error unless it succeeded.
    boost::asio::awaitable<void> finish();

private:
    boost::asio::any_io_executor executor_;
    std::string operation_;
    std::string directory_;
    boost::asio::readable_pipe output_;
    boost::asio::writable_pipe input_;
    int stderr_file_ = -1;
    pid_t pid_ = -1;
};

}  // namespace hpcexec::ssh
