// Shell quoting: what a POSIX shell makes of our quoting is exactly the original bytes.
#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>

namespace {

// Asks /bin/sh to print its first argument after parsing `quoted`.
std::string what_sh_sees(const std::string& quoted) {
    std::string command = "printf '%s' " + quoted;
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    std::string out;
    std::array<char, 4096> buffer{};
    std::size_t n;
    while ((n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) out.append(buffer.data(), n);
    return out;
}

}  // namespace

TEST(ShellQuote, SafeWordsAreLeftAlone) {
    EXPECT_EQ(hpcexec::shell_quote("/home/user01/work_dir"), "/home/user01/work_dir");
    EXPECT_EQ(hpcexec::shell_quote("--partition=debug"), "--partition=debug");
}

TEST(ShellQuote, HostileWordsSurviveTheShellLiterally) {
    for (std::string word : {std::string("a b"), std::string("it's"), std::string("\"q\""), std::string("$HOME"),
                             std::string("`id`"), std::string("$(id)"), std::string("a\nb"), std::string("*"),
                             std::string("~"), std::string(""), std::string("'; rm -rf / #"), std::string("\\")}) {
        EXPECT_EQ(what_sh_sees(hpcexec::shell_quote(word)), word) << "word: " << word;
    }
}

TEST(ShellQuote, CommandLineChangesDirectoryAndSetsEnvironment) {
    auto line = hpcexec::shell_command_line("echo \"$GREETING\"", "/tmp/a dir", {{"GREETING", "it's $x"}});
    EXPECT_EQ(line, "cd '/tmp/a dir' || exit 1; export GREETING='it'\\''s $x'; echo \"$GREETING\"");
    EXPECT_THROW(hpcexec::shell_command_line("true", "", {{"BAD NAME", "x"}}), hpcexec::Error);
}
