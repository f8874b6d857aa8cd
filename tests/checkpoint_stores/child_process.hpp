// ChildProcess: runs a program with pipes on its stdin and stdout, for tests that need a second process (two writers
// racing, a process holding a lock). Its stderr goes to the test's stderr, where ctest shows it.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace checkpoint_test {

class ChildProcess {
public:
    /// Starts `argv[0]` (a path) with `argv`; throws std::system_error when it cannot be started.
    explicit ChildProcess(const std::vector<std::string>& argv);
    /// Kills the process if it still runs, and reaps it.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    void write_line(const std::string& line);
    /// Closes the child's stdin: it reads end of file.
    void close_stdin();
    /// The next line of its stdout without the newline; "" at end of file.
    std::string read_line();
    /// The rest of its stdout, until it closes it (normally: exits).
    std::string read_all();
    /// Waits for it to exit; its exit status, or 128 + the signal that killed it.
    int wait();

private:
    /// Reads more of stdout into buffer_; false at end of file.
    bool fill();
    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    std::string buffer_;
};

}  // namespace checkpoint_test
