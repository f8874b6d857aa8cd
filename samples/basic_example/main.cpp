// The seed's basic example: build an executor from a configuration in the original's shape, init() it, and run a
// command on the login node. Without an `ssh` key the login node is this machine (the local connector).
//
//   basic_example [CONFIG_FILE [CLUSTER_NAME]]
//
// Plugins are found in the install's plugin directory, or in HPCEXEC_PLUGIN_PATH (the build tree's plugins-out).
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>

#include <iostream>

int main(int argc, char** argv) {
    try {
        std::shared_ptr<hpcexec::HpcExecutor> executor;
        if (argc > 1) {
            executor = hpcexec::HpcExecutor::from_config_file(argv[1], argc > 2 ? argv[2] : "");
        } else {
            executor = hpcexec::HpcExecutor::from_config_text(R"(
                work_dir: hpcexec-basic-example   # relative: resolved against the home directory
                python_cmd: python3
            )", "local-demo");
        }
        executor->init();
        auto result = executor->run("echo \"hello world\"");
        std::cout << result.stdout_data << std::flush;
        return 0;
    } catch (const hpcexec::Error& e) {
        std::cerr << "basic_example: " << e.what() << "\n";
        return 1;
    }
}
