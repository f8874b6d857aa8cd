#include "local_process.hpp"

#include <hpcexec/errors.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <utility>

#include <sys/ioctl.h>

namespace hpcexec::local {

namespace asio = boost::asio;

namespace {

// How much of standard error stderr_text() returns (RemoteProcess's contract).
constexpr std::size_t stderr_kept = 1024 * 1024;

}  // namespace

struct LocalProcess::ErrorStream {
    explicit ErrorStream(asio::readable_pipe stream)
        : pipe(std::move(stream)), ended_signal(pipe.get_executor(), asio::steady_timer::time_point::max()) {}

    asio::readable_pipe pipe;
    // What the process wrote; cut back to its last stderr_kept bytes whenever it reaches twice that, so that keeping
    // the tail costs a constant amount of copying per byte.
    std::string text;
    bool ended = false;
    // A timer that never expires: ending the stream cancels it, which completes every wait for the end.
    asio::steady_timer ended_signal;

    void end() {
        ended = true;
        ended_signal.cancel();
    }

    // Reads until the end of the stream (or until the owner closes the pipe), so the process never blocks on a full
    // standard error pipe however much it writes there.
    static asio::awaitable<void> drain(std::shared_ptr<ErrorStream> self) {
        for (;;) {
            auto [error, size] = co_await asio::async_read(self->pipe, asio::dynamic_buffer(self->text),
                                                           asio::transfer_at_least(1),
                                                           asio::as_tuple(asio::use_awaitable));
            if (error) break;
            if (self->text.size() >= 2 * stderr_kept) self->text.erase(0, self->text.size() - stderr_kept);
        }
        self->end();
    }
};

asio::awaitable<std::unique_ptr<LocalProcess>> LocalProcess::start(CommandSpec spec, std::string shell,
                                                                   CommandSlots::Slot slot) {
    const auto executor = co_await asio::this_coro::executor;
    std::unique_ptr<LocalProcess> process(new LocalProcess(executor, launch_child(spec, shell, executor), std::move(slot)));
    if (process->stdin_.is_open()) co_await write_to_child(process->stdin_, spec.stdin_data);
    co_return process;
}

LocalProcess::LocalProcess(const asio::any_io_executor& executor, LaunchedChild child, CommandSlots::Slot slot)
    : executor_(executor),
      slot_(std::move(slot)),
      process_(std::move(child.process)),
      stdin_(std::move(child.pipes.in)),
      stdout_(executor),
      stderr_(std::make_shared<ErrorStream>(std::move(child.pipes.err))) {
    if (child.start_failure) {
        exit_status_ = child.start_failure->exit_status;
        stderr_->text = child.start_failure->stderr_data;
        stderr_->end();
        return;
    }
    process_group_ = process_.id();
    stdout_.assign(child.pipes.out.release());
    // read_some() reads only what the pipe holds and must never block the event loop.
    stdout_.non_blocking(true);
    asio::co_spawn(executor_, ErrorStream::drain(stderr_), asio::detached);
}

LocalProcess::~LocalProcess() {
    // A signal may be sent from any thread: the process group dies now, whichever thread destroys this.
    kill();
    // The rest touches objects of the event loop (the drain is waiting on standard error right now), so it happens
    // there: at once when this is the loop's thread, else as soon as the loop gets to it. `process`'s destructor
    // reaps the child, which takes no time as it was killed above, unless wait() has reaped it already.
    asio::dispatch(executor_, [stream = std::move(stderr_), process = std::move(process_), in = std::move(stdin_),
                               out = std::move(stdout_), slot = std::move(slot_)] {
        boost::system::error_code ignored;
        stream->pipe.close(ignored);  // ends the drain
    });
}

asio::awaitable<void> LocalProcess::write(std::string data) {
    if (!stdin_.is_open()) throw Error("cannot write to a local process whose standard input is closed");
    // (Not `if (!co_await ...)`: GCC 12 miscompiles a co_await inside that condition.)
    const bool taken = co_await write_to_child(stdin_, data);
    if (!taken) throw Error("cannot write to a local process: it has closed its standard input (or exited)");
}

int LocalProcess::bytes_waiting_on_stdout() {
    int bytes = 0;
    if (::ioctl(stdout_.native_handle(), FIONREAD, &bytes) != 0) return 0;
    return bytes;
}

asio::awaitable<std::string> LocalProcess::read_some() {
    if (!stdout_.is_open()) co_return std::string();  // its end was reported already (or it never started)
    for (;;) {
        int available = bytes_waiting_on_stdout();
        if (available == 0) {
            // Empty, or at its end: readability says which.
            auto [error] = co_await stdout_.async_wait(asio::posix::stream_descriptor::wait_read,
                                                       asio::as_tuple(asio::use_awaitable));
            if (error) throw Error("waiting for the output of a local process failed: " + error.message());
            available = bytes_waiting_on_stdout();
        }
        // At least one byte: reading nothing would not tell the end of the stream.
        std::string data(static_cast<std::size_t>(std::max(available, 1)), '\0');
        boost::system::error_code error;
        const std::size_t size = stdout_.read_some(asio::buffer(data), error);
        if (error == asio::error::would_block) continue;  // nothing there after all: wait again
        if (error == asio::error::eof) {
            boost::system::error_code ignored;
            stdout_.close(ignored);
            co_return std::string();
        }
        if (error) throw Error("reading the output of a local process failed: " + error.message());
        data.resize(size);
        co_return data;
    }
}

asio::awaitable<void> LocalProcess::close_stdin() {
    boost::system::error_code ignored;
    stdin_.close(ignored);
    co_return;
}

asio::awaitable<int> LocalProcess::wait() {
    if (!exit_status_) {
        exit_status_ = co_await wait_for_exit(process_);
        // Reaped: its id may be reused from now on, so neither kill() nor the destructor may use it.
        process_.detach();
    }
    if (!stderr_->ended) co_await stderr_->ended_signal.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return *exit_status_;
}

std::string LocalProcess::stderr_text() const {
    const std::string& text = stderr_->text;
    return text.size() > stderr_kept ? text.substr(text.size() - stderr_kept) : text;
}

void LocalProcess::kill() {
    if (process_group_ == 0 || exit_status_) return;
    // Until the child is reaped its id cannot be reused, so this reaches its group and nothing else.
    ::kill(-process_group_, SIGKILL);
}

}  // namespace hpcexec::local
