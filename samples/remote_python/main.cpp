// Python functions on the login node, called from C++ (the original's `executor.run_python_fn(fn)(args)`):
// by reference and by source, with keyword arguments, with what the function printed, with a Python exception,
// with an object C++ cannot decode (it comes back opaque and goes into a later call unchanged), with a local
// package uploaded first, and memoised under a checkpoint key.
//
//   remote_python [CONFIG_FILE [CLUSTER_NAME]]
//
// Without a configuration the login node is this machine. The package directory is found beside this source file
// (or in HPCEXEC_SAMPLE_PACKAGE).
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>
#include <hpcexec/python.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

using hpcexec::Kwarg;
using hpcexec::PythonFunction;
using hpcexec::Value;

int main(int argc, char** argv) {
    try {
        auto executor = argc > 1 ? hpcexec::HpcExecutor::from_config_file(argv[1], argc > 2 ? argv[2] : "")
                                 : hpcexec::HpcExecutor::from_config_text("work_dir: hpcexec-remote-python\n"
                                                                          "python_cmd: python3\n");
        // 1. A function by reference: anything importable on the login node.
        Value sum = executor->run_python_fn(PythonFunction::ref("operator:add"))(1, 2);
        std::cout << "operator:add(1, 2) = " << sum.repr() << "\n";

        // 2. A function by source, with a keyword argument; what it prints is kept apart from its value.
        auto scale = executor->run_python_fn(PythonFunction::source(
            "def scale(values, factor=1):\n"
            "    print('scaling', len(values), 'values')\n"
            "    return [v * factor for v in values]\n",
            "scale"));
        hpcexec::PythonResult scaled = scale.call_with_output({Value(hpcexec::List{1, 2, 3})}, {{"factor", 10}});
        std::cout << "scale([1, 2, 3], factor=10) = " << scaled.value.repr() << ", printed: " << scaled.output;

        // 3. A Python exception becomes a PythonError with the exception's type, message and remote traceback.
        try {
            executor->run_python_fn(PythonFunction::ref("operator:truediv"))(1, 0);
        } catch (const hpcexec::PythonError& error) {
            std::cout << "operator:truediv(1, 0) raised " << error.exception_type() << ": " << error.message() << "\n";
        }

        // 4. An object C++ cannot decode stays opaque and goes back into Python unchanged.
        Value when = executor->run_python_fn(PythonFunction::ref("datetime:date"))(2024, 2, 29);
        Value weekday = executor->run_python_fn(PythonFunction::source("def weekday(d):\n    return d.strftime('%A')\n",
                                                                       "weekday"))(when);
        std::cout << "datetime.date(2024, 2, 29) is opaque here (" << when.kind_name() << "), a " << weekday.repr()
                  << " there\n";

        // 5. A local package, uploaded to the login node, then called by reference.
        const char* package = std::getenv("HPCEXEC_SAMPLE_PACKAGE");
        std::filesystem::path package_dir =
            package ? package : std::filesystem::path(__FILE__).parent_path() / "stats_pkg";
        executor->upload_python_package(package_dir);
        Value stats = executor->run_python_fn(PythonFunction::ref("stats_pkg.summary:describe"))(
            Value(hpcexec::List{2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}), Kwarg{"digits", 1});
        std::cout << "stats_pkg.summary:describe(...) = " << stats.repr() << "\n";

        // 6. Memoised: the second call with the same checkpoint key returns the recorded value without Python.
        hpcexec::PythonCallOptions memoised;
        memoised.checkpoint_key = "remote-python-sample/pid";
        auto pid = executor->run_python_fn(PythonFunction::ref("os:getpid"), memoised);
        Value first = pid();
        Value again = pid();
        std::cout << "os:getpid() under a checkpoint key: " << (first == again ? "same value twice" : "DIFFERENT")
                  << "\n";
        executor->checkpoint_store()->erase(memoised.checkpoint_key);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "remote_python: " << e.what() << "\n";
        return 1;
    }
}
