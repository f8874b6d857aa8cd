// Coordination of coroutines on the kernel's single-threaded event loop: WakeSignal (wake-all) and all_of.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace hpcexec::ssh {

/// A condition without a predicate: wait() suspends until the next notify_all(). Waiters always re-check their
/// own condition after waking (a wake-up may be spurious, and a notify before wait() is not remembered).
///
/// It is a timer that never expires: notify_all() cancels every wait in progress, which completes them. This is
/// the usual Asio idiom, and a wait is also cancellable through the coroutine's cancellation slot.
/// THREAD: the event loop's thread only.
class WakeSignal {
public:
    explicit WakeSignal(const boost::asio::any_io_executor& executor)
        : timer_(executor, boost::asio::steady_timer::time_point::max()) {}

    boost::asio::awaitable<void> wait() {
        // The error (operation_aborted) is the wake-up itself, not a failure.
        co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    void notify_all() { timer_.cancel(); }

private:
    boost::asio::steady_timer timer_;
};

/// Awaits a group of concurrent operations made with `&&` (boost::asio::experimental::awaitable_operators) and,
/// when several of them failed, rethrows the first failure as itself instead of as multiple_exceptions (a broken
/// connection fails every stream of a channel at once; callers want the TransportBroken).
inline boost::asio::awaitable<void> all_of(boost::asio::awaitable<void> group) {
    try {
        co_await std::move(group);
    } catch (const boost::asio::multiple_exceptions& e) {
        std::rethrow_exception(e.first_exception());
    }
}

}  // namespace hpcexec::ssh
