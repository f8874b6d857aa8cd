// `hpcexec py FUNCTION [ARG...]`: calls a Python function on the login node with JSON arguments and prints its
// return value as JSON.
#include "cli_context.hpp"
#include "commands/commands.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/python.hpp>
#include <hpcexec/value_json.hpp>

#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

namespace hpcexec::cli {
namespace {

// One operand or option value as JSON; a usage error says which one is not JSON.
boost::json::value parse_json_argument(const std::string& text, const std::string& what) {
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(text, error);
    if (error) {
        throw UsageError("py: " + what + " is not JSON (" + error.message() + "): " + text +
                         " (a string needs its quotes: '\"text\"')");
    }
    return value;
}

PythonFunction function_to_call(const CliContext& context, const std::string& name) {
    std::string source_file = context.string_option("source");
    if (source_file.empty()) {
        try {
            return PythonFunction::ref(name);
        } catch (const Error& e) {
            throw UsageError(std::string("py: ") + e.what());  // a malformed reference is a typing mistake
        }
    }
    std::ifstream in(source_file, std::ios::binary);
    if (!in) throw FileError("read", source_file, std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return PythonFunction::source(text.str(), name);
}

int py(CliContext& context) {
    const auto& operands = context.operands();
    PythonFunction function = function_to_call(context, operands[0]);
    List args;
    for (std::size_t i = 1; i < operands.size(); ++i) {
        args.push_back(from_json(parse_json_argument(operands[i], "argument " + std::to_string(i))));
    }
    Kwargs kwargs;
    if (std::string text = context.string_option("kwargs"); !text.empty()) {
        boost::json::value object = parse_json_argument(text, "--kwargs");
        if (!object.is_object()) throw UsageError("py: --kwargs must be a JSON object: " + text);
        for (const auto& [key, value] : object.as_object()) kwargs.emplace_back(std::string(key), from_json(value));
    }
    PythonCallOptions options;
    options.cwd = context.string_option("cwd");
    options.python_cmd = context.string_option("python-cmd");
    options.checkpoint_key = context.string_option("checkpoint-key");

    PythonResult result = context.executor().run_python_fn(function, options).call_with_output(args, kwargs);
    boost::json::value value = to_json(result.value);  // a value JSON cannot hold: SerializationError naming it
    if (context.json()) {
        context.print_json(boost::json::object{{"value", value}, {"output", result.output}});
    } else {
        std::cerr << result.output << std::flush;  // what the function printed; stdout stays the value alone
        context.print_json(value);
    }
    return exit_code::success;
}

}  // namespace

Command py_command() {
    Command command;
    command.name = "py";
    command.operands = "FUNCTION [ARG...]";
    command.summary = "Call a Python function on the login node; prints its value as JSON.";
    command.details =
        "FUNCTION is 'package.module:qualname', importable on the login node, or with --source FILE the name of a\n"
        "function defined in that local file (its text is sent along). Each ARG is one JSON value (a string\n"
        "needs its quotes; put -- before a negative number). What the function prints goes to stderr, its return\n"
        "value to stdout as JSON (with --json: {\"value\": ..., \"output\": ...}). A Python exception exits 1 with\n"
        "its type, message and remote traceback on stderr.\n"
        "\n"
        "Examples:\n"
        "  hpcexec py operator:add 1 2\n"
        "  hpcexec py --source prep.py --kwargs '{\"n\": 10}' prepare '\"inputs\"'";
    command.min_operands = 1;
    command.max_operands = -1;
    command.add_options = [](po::options_description& options) {
        options.add_options()
            ("source", po::value<std::string>()->value_name("FILE"), "define FUNCTION from this local Python file")
            ("kwargs", po::value<std::string>()->value_name("JSON"), "keyword arguments, a JSON object")
            ("cwd", po::value<std::string>()->value_name("DIR"),
             "the function's working directory (relative: inside work_dir; default: work_dir)")
            ("python-cmd", po::value<std::string>()->value_name("CMD"), "the interpreter (default: python_cmd)")
            ("checkpoint-key", po::value<std::string>()->value_name("KEY"),
             "memoise the value under KEY in the checkpoint store (a recorded value is printed without calling)");
    };
    command.action = py;
    return command;
}

}  // namespace hpcexec::cli
