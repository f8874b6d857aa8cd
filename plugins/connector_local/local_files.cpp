// File operations on this machine with std::filesystem and POSIX calls (for errno-exact error messages).
#include "local_files.hpp"

#include <hpcexec/errors.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <glob.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace hpcexec::local {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& operation, const std::string& path, std::error_code error) {
    throw FileError(operation, path, error.message());
}

[[noreturn]] void fail(const std::string& operation, const std::string& path, int error) {
    fail(operation, path, std::error_code(error, std::generic_category()));
}

// Owns a file descriptor.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    int get() const noexcept { return fd_; }
    /// Closes now and returns close()'s result: a file system may report a failed write only there.
    int close() {
        int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

private:
    int fd_;
};

void write_all(int fd, const std::string& data) {
    for (std::size_t written = 0; written < data.size();) {
        ssize_t count = ::write(fd, data.data() + written, data.size() - written);
        if (count < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category());
        }
        written += static_cast<std::size_t>(count);
    }
}

// A name next to `path` (in the same directory, hence on the same file system, where rename is atomic) that no other
// writer uses: hidden, with this process's id and a counter.
std::string temporary_name_for(const std::string& path) {
    static std::atomic<unsigned long> counter{0};
    const fs::path target(path);
    const std::string name = "." + target.filename().string() + ".hpcexec-" + std::to_string(::getpid()) + "-" +
                             std::to_string(++counter);
    return (target.parent_path() / name).string();
}

void copy_entry(const std::string& operation, const fs::path& from, const fs::path& to);

void copy_directory(const std::string& operation, const fs::path& from, const fs::path& to, fs::perms permissions) {
    std::error_code error;
    fs::create_directory(to, error);  // an existing directory is fine: the contents are copied into it
    if (error) fail(operation, to.string(), error);
    fs::directory_iterator entry(from, error);
    for (; !error && entry != fs::directory_iterator(); entry.increment(error)) {
        copy_entry(operation, entry->path(), to / entry->path().filename());
    }
    if (error) fail(operation, from.string(), error);
    // Given only now: a read-only source directory's permissions would have refused its own contents.
    fs::permissions(to, permissions, error);
    if (error) fail(operation, to.string(), error);
}

void copy_entry(const std::string& operation, const fs::path& from, const fs::path& to) {
    std::error_code error;
    const fs::file_status status = fs::symlink_status(from, error);
    if (error) fail(operation, from.string(), error);
    switch (status.type()) {
        case fs::file_type::regular:
            // Replaces an existing file; the copy gets the source's permission bits.
            fs::copy_file(from, to, fs::copy_options::overwrite_existing, error);
            if (error) throw FileError(operation, from.string(), "cannot copy to " + to.string() + ": " + error.message());
            return;
        case fs::file_type::directory:
            copy_directory(operation, from, to, status.permissions());
            return;
        case fs::file_type::symlink:
            // Copied as a link (what it points to may be outside the tree, or the tree itself).
            fs::remove(to, error);  // a link cannot replace an existing file; a missing one is fine
            if (!error) fs::copy_symlink(from, to, error);
            if (error) throw FileError(operation, from.string(), "cannot copy to " + to.string() + ": " + error.message());
            return;
        default:
            throw FileError(operation, from.string(), "not a regular file, directory or symbolic link");
    }
}

}  // namespace

std::string read_file(const std::string& path) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) fail("read_file", path, errno);
    std::string data;
    char buffer[64 * 1024];
    for (;;) {
        ssize_t count = ::read(file.get(), buffer, sizeof buffer);
        if (count < 0) {
            if (errno == EINTR) continue;
            fail("read_file", path, errno);
        }
        if (count == 0) return data;
        data.append(buffer, static_cast<std::size_t>(count));
    }
}

void write_file(const std::string& path, const std::string& data) {
    const std::string temporary = temporary_name_for(path);
    FileDescriptor file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
    if (file.get() < 0) fail("write_file", path, errno);
    try {
        struct stat existing {};
        if (::stat(path.c_str(), &existing) == 0 && S_ISREG(existing.st_mode)) {
            if (::fchmod(file.get(), existing.st_mode & 07777) != 0) throw std::system_error(errno, std::generic_category());
        }
        write_all(file.get(), data);
        if (::fsync(file.get()) != 0 || file.close() != 0) throw std::system_error(errno, std::generic_category());
        if (::rename(temporary.c_str(), path.c_str()) != 0) throw std::system_error(errno, std::generic_category());
    } catch (const std::system_error& error) {
        ::unlink(temporary.c_str());
        fail("write_file", path, error.code());
    }
}

void copy_tree(const std::string& operation, const std::string& from, const std::string& to) {
    copy_entry(operation, from, to);
}

void make_directories(const std::string& path) {
    std::error_code error;
    fs::create_directories(path, error);
    if (error) fail("mkdir", path, error);
}

std::vector<std::string> glob_paths(const std::string& pattern) {
    glob_t matches{};
    // Sorted below, bytewise: glob(3)'s own order depends on the locale.
    const int status = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches);
    std::vector<std::string> paths;
    if (status == 0) paths.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
    ::globfree(&matches);
    if (status == GLOB_NOSPACE) fail("glob", pattern, ENOMEM);
    if (status != 0 && status != GLOB_NOMATCH) fail("glob", pattern, EIO);
    std::sort(paths.begin(), paths.end());
    return paths;
}

void remove_path(const std::string& path, bool recursive) {
    std::error_code error;
    if (recursive) fs::remove_all(path, error);
    else fs::remove(path, error);
    if (error) fail("remove", path, error);
}

std::optional<FileInfo> file_info(const std::string& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        fail("stat", path, errno);
    }
    FileInfo info;
    if (S_ISREG(status.st_mode)) info.type = FileType::regular;
    else if (S_ISDIR(status.st_mode)) info.type = FileType::directory;
    else if (S_ISLNK(status.st_mode)) info.type = FileType::symlink;
    else info.type = FileType::other;
    info.size = static_cast<std::uint64_t>(status.st_size);
    info.mode = status.st_mode & 07777;
    info.mtime = status.st_mtim.tv_sec;
    return info;
}

std::string home_directory() {
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
    // No HOME (a daemon, `env -i`): ask the password database.
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16 * 1024);
    const int error = ::getpwuid_r(::getuid(), &entry, buffer.data(), buffer.size(), &found);
    if (found != nullptr && found->pw_dir != nullptr && *found->pw_dir != '\0') return found->pw_dir;
    if (error != 0) fail("home_directory", "~", error);
    throw FileError("home_directory", "~", "HOME is not set and user id " + std::to_string(::getuid()) +
                                                " has no home directory in the password database");
}

}  // namespace hpcexec::local
