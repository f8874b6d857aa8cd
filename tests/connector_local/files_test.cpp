// LocalConnector's file operations, with paths full of characters a shell would interpret.
#include "local_connector_fixture.hpp"

#include <algorithm>
#include <ctime>
#include <vector>

using namespace local_test;
using hpcexec::FileError;
using hpcexec::FileInfo;
using hpcexec::FileType;

namespace {

std::vector<std::string> names_in(const fs::path& directory) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Expects `copy` to be an exact copy of `original`: the same tree, types, permission bits, contents and link targets.
void expect_same_tree(const fs::path& original, const fs::path& copy) {
    const auto original_status = fs::symlink_status(original);
    const auto copy_status = fs::symlink_status(copy);
    ASSERT_EQ(copy_status.type(), original_status.type()) << copy;
    if (original_status.type() == fs::file_type::symlink) {
        EXPECT_EQ(fs::read_symlink(copy), fs::read_symlink(original)) << copy;
        return;
    }
    EXPECT_EQ(copy_status.permissions(), original_status.permissions()) << copy;
    if (original_status.type() == fs::file_type::regular) {
        EXPECT_TRUE(read_whole_file(copy) == read_whole_file(original)) << copy;
    } else if (original_status.type() == fs::file_type::directory) {
        const auto names = names_in(original);
        ASSERT_EQ(names_in(copy), names) << copy;
        for (const auto& name : names) expect_same_tree(original / name, copy / name);
    }
}

}  // namespace

TEST_F(LocalConnectorTest, WriteThenReadFileIsBinarySafeAndLeavesNoTemporaryFile) {
    const fs::path directory = scratch_ / awkward_name;
    fs::create_directory(directory);
    const std::string path = (directory / awkward_name).string();
    const std::string data = binary_data(3 * 1024 * 1024 + 17);
    wait(connector_->write_file(path, data));
    EXPECT_TRUE(wait(connector_->read_file(path)) == data);
    EXPECT_TRUE(read_whole_file(path) == data);
    EXPECT_EQ(names_in(directory), std::vector<std::string>{awkward_name});

    wait(connector_->write_file(path, ""));
    EXPECT_EQ(wait(connector_->read_file(path)), "");
}

TEST_F(LocalConnectorTest, WriteFileReplacesAFileAndKeepsItsPermissions) {
    const fs::path path = scratch_ / "script.sh";
    write_whole_file(path, "old contents that are longer than the new ones");
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    // A new file is renamed over the old one rather than the old one rewritten in place: another name for the old
    // file keeps the old contents.
    fs::create_hard_link(path, scratch_ / "old name");
    wait(connector_->write_file(path.string(), "new"));
    EXPECT_EQ(read_whole_file(path), "new");
    EXPECT_EQ(read_whole_file(scratch_ / "old name"), "old contents that are longer than the new ones");
    EXPECT_EQ(fs::status(path).permissions(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

TEST_F(LocalConnectorTest, WriteFileIntoAMissingDirectoryThrowsFileError) {
    const std::string path = (scratch_ / "missing dir" / awkward_name).string();
    FileError error = file_error_of([&] { wait(connector_->write_file(path, "data")); });
    EXPECT_EQ(error.operation(), "write_file");
    EXPECT_EQ(error.path(), path);
    EXPECT_EQ(error.reason(), "No such file or directory");
    EXPECT_EQ(std::string(error.what()), "write_file " + path + ": No such file or directory");
    EXPECT_FALSE(fs::exists(scratch_ / "missing dir"));
}

TEST_F(LocalConnectorTest, ReadingAMissingFileOrADirectoryThrowsFileError) {
    const std::string missing = (scratch_ / awkward_name).string();
    FileError error = file_error_of([&] { wait(connector_->read_file(missing)); });
    EXPECT_EQ(error.operation(), "read_file");
    EXPECT_EQ(error.path(), missing);
    EXPECT_EQ(std::string(error.what()), "read_file " + missing + ": No such file or directory");

    FileError directory = file_error_of([&] { wait(connector_->read_file(scratch_.string())); });
    EXPECT_EQ(directory.reason(), "Is a directory");
}

TEST_F(LocalConnectorTest, MkdirCreatesParentsAndAcceptsAnExistingDirectory) {
    const fs::path path = scratch_ / awkward_name / "a b" / awkward_name;
    wait(connector_->mkdir(path.string()));
    EXPECT_TRUE(fs::is_directory(path));
    wait(connector_->mkdir(path.string()));  // already there: fine
    EXPECT_TRUE(fs::is_directory(path));

    const fs::path file = scratch_ / "a file";
    write_whole_file(file, "x");
    FileError error = file_error_of([&] { wait(connector_->mkdir((file / "below").string())); });
    EXPECT_EQ(error.operation(), "mkdir");
    EXPECT_EQ(error.path(), (file / "below").string());
    EXPECT_EQ(error.reason(), "Not a directory");
}

TEST_F(LocalConnectorTest, GlobMatchesInSortedOrderAndNoMatchIsEmpty) {
    const fs::path directory = scratch_ / awkward_name;
    fs::create_directory(directory);
    for (const char* name : {"b.txt", "a.txt", "c.dat", ".hidden.txt", "a b.txt"}) write_whole_file(directory / name, "");
    fs::create_directory(directory / "d.txt");

    const std::string prefix = directory.string() + "/";
    EXPECT_EQ(wait(connector_->glob(prefix + "*.txt")),
              (std::vector<std::string>{prefix + "a b.txt", prefix + "a.txt", prefix + "b.txt", prefix + "d.txt"}));
    EXPECT_EQ(wait(connector_->glob(prefix + "?.dat")), std::vector<std::string>{prefix + "c.dat"});
    EXPECT_EQ(wait(connector_->glob(prefix + "[bc].*")), (std::vector<std::string>{prefix + "b.txt", prefix + "c.dat"}));
    // A pattern without wildcards names the path itself.
    EXPECT_EQ(wait(connector_->glob(directory.string())), std::vector<std::string>{directory.string()});
    EXPECT_TRUE(wait(connector_->glob(prefix + "*.none")).empty());
    EXPECT_TRUE(wait(connector_->glob((scratch_ / "missing" / "*").string())).empty());
}

TEST_F(LocalConnectorTest, RemoveDeletesFilesAndTreesAndIgnoresMissingPaths) {
    const fs::path file = scratch_ / awkward_name;
    write_whole_file(file, "x");
    wait(connector_->remove(file.string(), false));
    EXPECT_FALSE(fs::exists(file));
    wait(connector_->remove(file.string(), false));  // missing: fine
    wait(connector_->remove(file.string(), true));

    const fs::path tree = scratch_ / ("tree " + awkward_name);
    fs::create_directories(tree / "sub" / awkward_name);
    write_whole_file(tree / "sub" / "file", "x");
    FileError error = file_error_of([&] { wait(connector_->remove(tree.string(), false)); });
    EXPECT_EQ(error.operation(), "remove");
    EXPECT_EQ(error.path(), tree.string());
    EXPECT_EQ(error.reason(), "Directory not empty");
    EXPECT_TRUE(fs::exists(tree / "sub" / "file"));

    // A link to a directory goes, not what it points to.
    const fs::path link = scratch_ / "link";
    fs::create_directory_symlink(tree, link);
    wait(connector_->remove(link.string(), true));
    EXPECT_FALSE(fs::exists(fs::symlink_status(link)));
    EXPECT_TRUE(fs::exists(tree / "sub" / "file"));

    wait(connector_->remove(tree.string(), true));
    EXPECT_FALSE(fs::exists(tree));
}

TEST_F(LocalConnectorTest, StatDescribesWhatIsThereWithoutFollowingLinks) {
    const fs::path file = scratch_ / awkward_name;
    write_whole_file(file, "12345");
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    std::optional<FileInfo> info = wait(connector_->stat(file.string()));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->type, FileType::regular);
    EXPECT_EQ(info->size, 5u);
    EXPECT_EQ(info->mode, 0640u);
    EXPECT_NEAR(static_cast<double>(info->mtime), static_cast<double>(std::time(nullptr)), 60.0);

    const fs::path directory = scratch_ / "dir";
    fs::create_directory(directory);
    fs::permissions(directory, fs::perms::owner_all);
    info = wait(connector_->stat(directory.string()));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->type, FileType::directory);
    EXPECT_EQ(info->mode, 0700u);

    const fs::path dangling = scratch_ / "dangling link";
    fs::create_symlink(scratch_ / "nowhere", dangling);
    info = wait(connector_->stat(dangling.string()));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->type, FileType::symlink);

    EXPECT_FALSE(wait(connector_->stat((scratch_ / "missing").string())).has_value());
    EXPECT_FALSE(wait(connector_->stat((file / "below a file").string())).has_value());
}

TEST_F(LocalConnectorTest, UploadAndDownloadCopyADirectoryTree) {
    const fs::path source = scratch_ / ("source " + awkward_name);
    fs::create_directories(source / "sub" / "deeper");
    fs::create_directory(source / "empty");
    fs::create_directory(source / "read-only");
    write_whole_file(source / "plain", "plain text");
    fs::permissions(source / "plain", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    write_whole_file(source / awkward_name, binary_data(100'000));
    fs::permissions(source / awkward_name, fs::perms::owner_read | fs::perms::owner_write);
    write_whole_file(source / "sub" / "deeper" / awkward_name, "deep");
    write_whole_file(source / "read-only" / "inside", "inside a read-only directory");
    fs::permissions(source / "sub", fs::perms::owner_all);
    fs::permissions(source / "read-only", fs::perms::owner_read | fs::perms::owner_exec);
    fs::create_symlink("plain", source / "link");

    const fs::path uploaded = scratch_ / ("uploaded " + awkward_name);
    wait(connector_->upload(source.string(), uploaded.string()));
    expect_same_tree(source, uploaded);

    const fs::path downloaded = scratch_ / "downloaded";
    wait(connector_->download(uploaded.string(), downloaded.string()));
    expect_same_tree(source, downloaded);

    // A single file is copied to the name given, replacing what was there.
    const fs::path single = scratch_ / ("single " + awkward_name);
    write_whole_file(single, "to be replaced by something longer");
    wait(connector_->upload((source / "plain").string(), single.string()));
    expect_same_tree(source / "plain", single);
    wait(connector_->download((source / awkward_name).string(), (scratch_ / "single download").string()));
    expect_same_tree(source / awkward_name, scratch_ / "single download");
}

TEST_F(LocalConnectorTest, CopyingAMissingSourceThrowsFileError) {
    const std::string missing = (scratch_ / awkward_name).string();
    const std::string target = (scratch_ / "target").string();
    FileError upload = file_error_of([&] { wait(connector_->upload(missing, target)); });
    EXPECT_EQ(upload.operation(), "upload");
    EXPECT_EQ(upload.path(), missing);
    EXPECT_EQ(std::string(upload.what()), "upload " + missing + ": No such file or directory");
    FileError download = file_error_of([&] { wait(connector_->download(missing, target)); });
    EXPECT_EQ(download.operation(), "download");
    EXPECT_EQ(download.reason(), "No such file or directory");
    EXPECT_FALSE(fs::exists(target));
}

TEST_F(LocalConnectorTest, HomeDirectoryIsHome) {
    const std::string home = wait(connector_->home_directory());
    if (const char* variable = std::getenv("HOME"); variable != nullptr && *variable != '\0') {
        EXPECT_EQ(home, variable);
    }
    EXPECT_TRUE(fs::path(home).is_absolute()) << home;
}
