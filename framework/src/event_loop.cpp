#include <hpcexec/event_loop.hpp>
#include <hpcexec/logging.hpp>

#include <boost/asio/executor_work_guard.hpp>

namespace hpcexec {
namespace {

using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

// The loop thread's identity, for in_loop_thread(); one loop per kernel, one kernel usually per process.
thread_local const EventLoop* current_loop = nullptr;

}  // namespace

EventLoop::EventLoop()
    // The work guard keeps run() from returning while the loop has nothing to do.
    : work_guard_(new WorkGuard(context_.get_executor()), [](void* p) { delete static_cast<WorkGuard*>(p); }) {
    thread_ = std::thread([this] {
        current_loop = this;
        auto logger = get_logger("kernel");
        for (;;) {
            try {
                context_.run();
                break;
            } catch (const std::exception& e) {
                // A handler let an exception escape; the loop keeps serving everyone else.
                logger->error("event loop: unhandled exception in a handler: {}", e.what());
            }
        }
        current_loop = nullptr;
    });
}

EventLoop::~EventLoop() {
    work_guard_.reset();
    context_.stop();
    if (thread_.joinable()) thread_.join();
}

boost::asio::any_io_executor EventLoop::executor() { return context_.get_executor(); }

bool EventLoop::in_loop_thread() const noexcept { return current_loop == this; }

void EventLoop::check_not_in_loop_thread() const {
    if (in_loop_thread()) {
        throw Error("a synchronous hpcexec call was made on the event loop thread (from a coroutine or a "
                    "completion handler); use the asynchronous form there");
    }
}

}  // namespace hpcexec
