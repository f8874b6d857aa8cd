#include <hpcexec/kernel.hpp>

#include <mutex>

namespace hpcexec {

Kernel::Kernel() : loop_(std::make_unique<EventLoop>()), registry_(std::make_unique<PluginRegistry>()) {}

Kernel::~Kernel() {
    // Libraries go before the loop: by now no component lives (each holds the kernel), and the loop stops last.
    registry_.reset();
    loop_.reset();
}

std::shared_ptr<Kernel> Kernel::shared() {
    static std::mutex mutex;
    static std::weak_ptr<Kernel> current;
    std::lock_guard lock(mutex);
    // A weak pointer: the shared kernel lives while executors use it and is rebuilt if every user has gone, so
    // nothing of it is left to static destruction at exit (when plugins may already be unloaded).
    if (auto kernel = current.lock()) return kernel;
    auto kernel = std::make_shared<Kernel>();
    current = kernel;
    return kernel;
}

}  // namespace hpcexec
