// Uses the out-of-tree `jsonfile` checkpoint store, chosen by name in the configuration.
//
//   memo_demo PLUGIN_DIR RECORDS_FILE
//
// Runs a memoised computation twice: the second time the recorded result comes from the plugin's store.
#include <hpcexec/errors.hpp>
#include <hpcexec/executor.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: memo_demo PLUGIN_DIR RECORDS_FILE\n";
        return 2;
    }
    try {
        auto executor = hpcexec::HpcExecutor::from_config_text(std::string("plugin_dirs: ['") + argv[1] +
                                                               "']\ncheckpoint: {jsonfile: {path: '" + argv[2] + "'}}\n");
        int computed = 0;
        auto answer = [&] {
            ++computed;
            return 6 * 7;
        };
        int first = executor->checkpoint("demo/answer", answer);
        int second = executor->checkpoint("demo/answer", answer);
        std::cout << "answer " << first << " " << second << ", computed " << computed << " time(s), store "
                  << executor->checkpoint_store()->describe() << "\n";
        return 0;
    } catch (const hpcexec::Error& e) {
        std::cerr << "memo_demo: " << e.what() << "\n";
        return 1;
    }
}
