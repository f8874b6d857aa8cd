// EventLoop: the kernel's one Boost.Asio event loop, on which every plugin does its I/O.
#pragma once

#include <hpcexec/errors.hpp>
#include <hpcexec/export.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <memory>
#include <thread>

namespace hpcexec {

/// One io_context run by one background thread, from construction until destruction.
///
/// OWNERSHIP: owned by the Kernel. LIFETIME: the destructor stops the loop and joins its thread; everything that
/// posts work to it (components, jobs) must be destroyed first (the Kernel destroys components before the loop).
/// THREAD: executor() and sync_wait() may be called from any thread; sync_wait() must not be called from the loop
/// thread itself (it would wait for itself): it throws Error there instead of deadlocking.
class HPCEXEC_API EventLoop {
public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    boost::asio::any_io_executor executor();
    boost::asio::io_context& context() noexcept { return context_; }
    /// True on the loop's own thread.
    bool in_loop_thread() const noexcept;

    /// Runs a coroutine on the loop and blocks the calling thread until it finishes; returns its value or rethrows
    /// its exception.
    template <class T>
    T sync_wait(boost::asio::awaitable<T> operation) {
        check_not_in_loop_thread();
        auto future = boost::asio::co_spawn(context_, std::move(operation), boost::asio::use_future);
        return future.get();
    }

    /// Runs a coroutine on the loop and resumes the awaiting coroutine on its own executor when it has ended
    /// (with its value or its exception). Every public *_async entry point goes through this: connectors and queue
    /// systems are used on the loop thread only, whichever io_context the caller's coroutine runs on. On the loop
    /// thread already, the operation simply runs inline.
    template <class T>
    boost::asio::awaitable<T> run_on_loop(boost::asio::awaitable<T> operation) {
        if (in_loop_thread()) co_return co_await std::move(operation);
        co_return co_await boost::asio::co_spawn(context_, std::move(operation), boost::asio::use_awaitable);
    }

private:
    void check_not_in_loop_thread() const;
    boost::asio::io_context context_;
    std::unique_ptr<void, void (*)(void*)> work_guard_;
    std::thread thread_;
};

}  // namespace hpcexec
