// Helpers shared by the serializer tests: hex, running pickle_cases.py with the real CPython, big numbers.
#pragma once

#include <hpcexec/value.hpp>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace serializer_test {

inline std::string to_hex(std::string_view bytes) {
    constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

inline std::string from_hex(std::string_view hex) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
        out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
    return out;
}

/// Runs `pickle_cases.py <mode>` with `input` on its standard input and returns its standard output (and error).
/// Fails the test when Python cannot be run or exits with an error.
inline std::string run_pickle_cases(const std::string& mode, const std::string& input = {}) {
    auto input_file = std::filesystem::temp_directory_path() /
                      ("hpcexec-pickle-cases-" + std::to_string(::getpid()) + "-" + mode + ".jsonl");
    std::ofstream(input_file, std::ios::binary) << input;
    std::string command = std::string("'") + HPCEXEC_PYTHON3 + "' '" + PICKLE_CASES_SCRIPT + "' " + mode + " < '" +
                          input_file.string() + "' 2>&1";
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buffer[65536];
        std::size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
        int status = ::pclose(pipe);
        EXPECT_EQ(status, 0) << command << "\n" << output.substr(0, 4000);
    } else {
        ADD_FAILURE() << "cannot run " << command;
    }
    std::filesystem::remove(input_file);
    return output;
}

struct PythonPickle {
    std::string case_name;
    int protocol;
    std::string data;
};

/// Every case of pickle_cases.py pickled by CPython at protocols 0 to 5 (generated once per test program).
inline const std::vector<PythonPickle>& python_corpus() {
    static const std::vector<PythonPickle> corpus = [] {
        std::vector<PythonPickle> out;
        std::string text = run_pickle_cases("corpus");
        std::size_t start = 0;
        while (start < text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string::npos) end = text.size();
            auto line = boost::json::parse(std::string_view(text).substr(start, end - start)).as_object();
            out.push_back({std::string(line.at("case").as_string()), static_cast<int>(line.at("protocol").as_int64()),
                           from_hex(line.at("hex").as_string())});
            start = end + 1;
        }
        return out;
    }();
    return corpus;
}

/// One line for `pickle_cases.py check`.
inline std::string check_line(const std::string& case_name, int protocol, std::string_view pickle) {
    return boost::json::serialize(boost::json::object{
               {"case", case_name}, {"protocol", protocol}, {"hex", to_hex(pickle)}}) +
           "\n";
}

/// Runs `check` on `lines` and returns the lines that are not "ok ...".
inline std::vector<std::string> python_check_failures(const std::string& lines, std::size_t expected_count) {
    std::string output = run_pickle_cases("check", lines);
    std::vector<std::string> failures;
    std::size_t ok = 0, start = 0;
    while (start < output.size()) {
        std::size_t end = output.find('\n', start);
        if (end == std::string::npos) end = output.size();
        std::string line = output.substr(start, end - start);
        if (line.rfind("ok ", 0) == 0) ++ok;
        else if (!line.empty()) failures.push_back(line);
        start = end + 1;
    }
    if (ok + failures.size() != expected_count)
        failures.push_back("expected " + std::to_string(expected_count) + " answers, got " + std::to_string(ok) +
                           " ok and " + std::to_string(failures.size()) + " other lines");
    return failures;
}

/// 2**n (negated when `negative`) as decimal text.
inline std::string power_of_two(int n, bool negative = false) {
    std::string digits = "1";  // least significant first
    for (int i = 0; i < n; ++i) {
        int carry = 0;
        for (auto& d : digits) {
            int v = (d - '0') * 2 + carry;
            d = static_cast<char>('0' + v % 10);
            carry = v / 10;
        }
        if (carry) digits += static_cast<char>('0' + carry);
    }
    if (negative) digits += '-';
    return {digits.rbegin(), digits.rend()};
}

}  // namespace serializer_test
