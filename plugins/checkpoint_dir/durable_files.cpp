// Durable file operations with POSIX calls: std::filesystem cannot fsync, and errno gives exact error messages.
#include "durable_files.hpp"

#include <atomic>
#include <cerrno>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hpcexec::checkpoint {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

// Owns a file descriptor; closes it on every path out of a function.
class Descriptor {
public:
    explicit Descriptor(int fd) : fd_(fd) {}
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    Descriptor(Descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Descriptor(const Descriptor&) = delete;
    Descriptor& operator=(const Descriptor&) = delete;
    Descriptor& operator=(Descriptor&&) = delete;
    int get() const noexcept { return fd_; }
    /// Closes now and returns close()'s result: some file systems report a failed write only there.
    int close() {
        const int result = ::close(fd_);
        fd_ = -1;
        return result;
    }

private:
    int fd_;
};

// Makes the entries of `directory` (files created, renamed or removed in it) durable.
void sync_directory(const fs::path& directory) {
    Descriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) fail(errno, "cannot open directory " + directory.string() + " to sync it");
    if (::fsync(fd.get()) != 0) fail(errno, "cannot sync directory " + directory.string());
}

void write_all(int fd, std::string_view bytes, const std::string& file) {
    while (!bytes.empty()) {
        const ssize_t count = ::write(fd, bytes.data(), bytes.size());
        if (count < 0) {
            if (errno == EINTR) continue;
            fail(errno, "cannot write " + file);
        }
        bytes.remove_prefix(static_cast<std::size_t>(count));
    }
}

// The errors that mean "there is no file at this path" rather than "this path cannot be read".
bool means_absent(int error) { return error == ENOENT || error == ENOTDIR || error == EISDIR; }

// Removes a temporary file when a write fails before the rename.
class TemporaryFile {
public:
    explicit TemporaryFile(std::string path) : path_(std::move(path)) {}
    ~TemporaryFile() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    /// The file has been renamed into place: there is nothing left to remove.
    void renamed() noexcept { path_.clear(); }

private:
    std::string path_;
};

// Creates a new, empty file for the next version of `name` in `directory`. The name is hidden (leading dot), so that
// listing keys never sees it, and unique among writers: this process's id and a counter, created with O_EXCL so that
// a leftover of a crashed process that had the same id is skipped rather than reused. Created with mode 0666 minus
// the umask, like any file the user creates (mkstemp would force 0600).
std::pair<Descriptor, std::string> create_temporary_file(const fs::path& directory, const std::string& name) {
    static std::atomic<unsigned long> counter{0};
    while (true) {
        std::string path = (directory / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(++counter)))
                               .string();
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) return {Descriptor(fd), std::move(path)};
        if (errno != EEXIST) fail(errno, "cannot create a temporary file in " + directory.string());
    }
}

}  // namespace

void make_directories(const fs::path& directory) {
    struct stat info {};
    if (::stat(directory.c_str(), &info) == 0) {
        if (!S_ISDIR(info.st_mode)) fail(ENOTDIR, "cannot use " + directory.string() + " as a directory");
        return;
    }
    // ENOTDIR: an ancestor is not a directory; the recursion reaches it and names it rather than this path.
    if (errno != ENOENT && errno != ENOTDIR) fail(errno, "cannot use " + directory.string() + " as a directory");
    const fs::path parent = directory.parent_path();
    if (!parent.empty() && parent != directory) make_directories(parent);
    // EEXIST: another process created it meanwhile; the stat above then decides again whether it is a directory.
    if (::mkdir(directory.c_str(), 0777) != 0) {
        if (errno != EEXIST) fail(errno, "cannot create directory " + directory.string());
        make_directories(directory);
        return;
    }
    sync_directory(parent.empty() ? fs::path(".") : parent);
}

void write_file_atomically(const fs::path& file, std::string_view bytes) {
    const fs::path directory = file.parent_path();
    auto [fd, name] = create_temporary_file(directory, file.filename().string());
    TemporaryFile temporary(name);
    write_all(fd.get(), bytes, name);
    if (::fsync(fd.get()) != 0) fail(errno, "cannot sync " + name);
    if (fd.close() != 0) fail(errno, "cannot close " + name);
    if (::rename(name.c_str(), file.c_str()) != 0) fail(errno, "cannot rename " + name + " to " + file.string());
    temporary.renamed();
    sync_directory(directory);
}

std::optional<std::string> read_file_if_exists(const fs::path& file) {
    Descriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (means_absent(errno)) return std::nullopt;
        fail(errno, "cannot open " + file.string());
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) fail(errno, "cannot stat " + file.string());
    if (S_ISDIR(info.st_mode)) return std::nullopt;
    if (!S_ISREG(info.st_mode)) fail(EINVAL, file.string() + " is not a regular file");
    std::string contents;
    std::vector<char> buffer(64 * 1024);
    while (true) {
        const ssize_t count = ::read(fd.get(), buffer.data(), buffer.size());
        if (count < 0) {
            if (errno == EINTR) continue;
            fail(errno, "cannot read " + file.string());
        }
        if (count == 0) return contents;
        contents.append(buffer.data(), static_cast<std::size_t>(count));
    }
}

bool remove_file(const fs::path& file) {
    if (::unlink(file.c_str()) != 0) {
        if (means_absent(errno)) return false;
        fail(errno, "cannot remove " + file.string());
    }
    sync_directory(file.parent_path());
    return true;
}

void remove_empty_directories(const fs::path& root, fs::path directory) {
    while (directory != root && directory.string().size() > root.string().size()) {
        // Any failure (not empty, or anything else) ends the climb: an empty directory left behind is harmless, and
        // the record itself is already gone.
        if (::rmdir(directory.c_str()) != 0) return;
        directory = directory.parent_path();
        try {
            sync_directory(directory);
        } catch (const std::system_error&) {
            return;
        }
    }
}

}  // namespace hpcexec::checkpoint
