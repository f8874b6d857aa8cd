// A second process for the checkpoint store tests (checkpoint_store_helper). Modes:
//
//   race <store> <path> <id> <rounds>
//       Opens the store `<store>` ("sqlite", "dir") at <path> through the kernel. Then, for each round r, in lockstep
//       with the test (before each step it prints "ready" and waits for a line on stdin):
//         step 1: compare_and_set("round/<r>", nothing expected, <id>); prints "won" or "lost";
//         step 2: adds one to the number in "counter" with a get / compare_and_set loop, as a careful caller would;
//                 prints "added".
//       At the end prints "retries <n>": how often its counter update lost to the other process's, i.e. how often
//       the two really collided.
//   hold-sqlite-lock <database>
//       Takes SQLite's write lock on <database> (BEGIN EXCLUSIVE), prints "locked", and keeps it until stdin closes.
//   hold-flock <file>
//       Takes an exclusive flock on <file>, prints "locked", and keeps it until stdin closes.
//
// Exits 0, or 1 with the error on stderr.
#include <hpcexec/checkpoint_store.hpp>
#include <hpcexec/kernel.hpp>
#include <hpcexec/logging.hpp>

#include <Poco/Data/SQLite/SessionImpl.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <boost/json.hpp>

#include <filesystem>
#include <iostream>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace {

void wait_for_stdin_to_close() {
    std::string ignored;
    while (std::getline(std::cin, ignored)) {
    }
}

int race(const std::string& store_name, const std::string& path, const std::string& id, int rounds) {
    hpcexec::EventLoop loop;
    hpcexec::PluginRegistry registry;
    registry.load_library(std::filesystem::path(HPCEXEC_BUILD_PLUGIN_DIR) /
                          ("libhpcexec_checkpoint_" + store_name + ".so"));
    const boost::json::value config = boost::json::object{{"path", path}, {"busy_timeout", "30s"}};
    auto store = registry.create_checkpoint_store(hpcexec::ComponentContext{
        store_name, "checkpoint." + store_name, config, loop.executor(), hpcexec::get_logger("helper"), nullptr, ""});

    // Tells the test that this process is ready for the next step, and waits until the test says go.
    auto wait_for_go = [] {
        std::cout << "ready" << std::endl;
        std::string go;
        if (!std::getline(std::cin, go)) throw std::runtime_error("stdin closed before the race was over");
    };
    int retries = 0;
    for (int round = 0; round < rounds; ++round) {
        wait_for_go();
        const bool won = store->compare_and_set("round/" + std::to_string(round), std::nullopt, id);
        std::cout << (won ? "won" : "lost") << std::endl;
        wait_for_go();
        while (true) {
            const auto current = store->get("counter");
            const int value = current ? std::stoi(current->data) : 0;
            const auto expected = current ? std::optional(current->version) : std::nullopt;
            if (store->compare_and_set("counter", expected, std::to_string(value + 1))) break;
            ++retries;
        }
        std::cout << "added" << std::endl;
    }
    std::cout << "retries " << retries << std::endl;
    return 0;
}

int hold_sqlite_lock(const std::string& database) {
    Poco::Data::Session session(new Poco::Data::SQLite::SessionImpl(database, 0));
    using Poco::Data::Keywords::now;
    session << "BEGIN EXCLUSIVE", now;
    std::cout << "locked" << std::endl;
    wait_for_stdin_to_close();
    session << "ROLLBACK", now;
    return 0;
}

int hold_flock(const std::string& file) {
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + file);
    std::cout << "locked" << std::endl;
    wait_for_stdin_to_close();
    ::close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "race" && argc == 6) return race(argv[2], argv[3], argv[4], std::stoi(argv[5]));
        if (mode == "hold-sqlite-lock" && argc == 3) return hold_sqlite_lock(argv[2]);
        if (mode == "hold-flock" && argc == 3) return hold_flock(argv[2]);
    } catch (const Poco::Exception& e) {
        std::cerr << "checkpoint_store_helper " << mode << ": " << e.displayText() << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "checkpoint_store_helper " << mode << ": " << e.what() << std::endl;
        return 1;
    }
    std::cerr << "usage: checkpoint_store_helper race <store> <path> <id> <rounds> | hold-sqlite-lock <database> | "
                 "hold-flock <file>"
              << std::endl;
    return 1;
}
