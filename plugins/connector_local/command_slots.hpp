// A limit on how many commands run at once, so that a burst of commands cannot exhaust file descriptors or processes.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>

namespace hpcexec::local {

/// An asynchronous counting semaphore: acquire() waits (first come, first served) while every slot is taken.
///
/// A slot is a message in a channel holding at most `count` of them: taking a slot sends one (which waits while the
/// channel is full), giving it back receives one (which lets the oldest waiting sender in).
/// THREAD: the event loop's thread only.
class CommandSlots {
public:
    CommandSlots(const boost::asio::any_io_executor& executor, std::size_t count) : channel_(executor, count) {}

    /// Gives the slot back when destroyed.
    class Slot {
    public:
        explicit Slot(CommandSlots& owner) : owner_(&owner) {}
        Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        Slot& operator=(Slot&&) = delete;
        ~Slot() {
            if (owner_ != nullptr) owner_->channel_.try_receive([](boost::system::error_code) {});
        }

    private:
        CommandSlots* owner_;
    };

    /// Waits for a free slot and takes it.
    boost::asio::awaitable<Slot> acquire() {
        co_await channel_.async_send(boost::system::error_code{}, boost::asio::use_awaitable);
        co_return Slot(*this);
    }

private:
    boost::asio::experimental::channel<void(boost::system::error_code)> channel_;
};

}  // namespace hpcexec::local
