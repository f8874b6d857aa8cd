// Kernel: the event loop and the plugin registry that every executor of a process shares.
#pragma once

#include <hpcexec/event_loop.hpp>
#include <hpcexec/export.hpp>
#include <hpcexec/plugin_registry.hpp>

#include <memory>

namespace hpcexec {

/// The process-wide runtime: one event loop, one plugin registry.
///
/// OWNERSHIP: shared; every HpcExecutor and Job holds the kernel it was made with, so the kernel outlives them.
/// Members are destroyed in reverse order: the registry (and with it the libraries, once no component is left)
/// after every component, the event loop last.
/// THREAD: safe to use from any thread.
class HPCEXEC_API Kernel {
public:
    Kernel();
    ~Kernel();

    /// The kernel that HpcExecutor::from_config uses unless given another. Created on first use.
    static std::shared_ptr<Kernel> shared();

    EventLoop& loop() noexcept { return *loop_; }
    PluginRegistry& registry() noexcept { return *registry_; }

private:
    std::unique_ptr<EventLoop> loop_;
    std::unique_ptr<PluginRegistry> registry_;
};

}  // namespace hpcexec
