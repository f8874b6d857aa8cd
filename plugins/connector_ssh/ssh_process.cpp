#include "ssh_process.hpp"

#include "command_runner.hpp"
#include "coroutine_sync.hpp"
#include "exec_channel.hpp"
#include "remote_process_group.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>

#include <csignal>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>

namespace hpcexec::ssh {

namespace asio = boost::asio;

namespace {

// How much of standard error stderr_text() returns (RemoteProcess's contract).
constexpr std::size_t stderr_kept = 1024 * 1024;
// read_some() reads at most this much at once (twice libssh2's largest packet).
constexpr std::size_t read_chunk = 64 * 1024;

}  // namespace

// What the process object and its background coroutines share. Destroyed, on the event loop, when all of them are
// done: that frees the channel and gives its slot back.
struct SshProcess::State {
    State(std::shared_ptr<Endpoint> owner, StartedCommand command, std::string text)
        : endpoint(std::move(owner)),
          lease(std::move(command.lease)),
          channel(std::move(command.channel)),
          shown(std::move(text)),
          changed(endpoint->executor()) {}

    std::shared_ptr<Endpoint> endpoint;
    Endpoint::ChannelLease lease;  // the slot and the session (declared before the channel: freed after it)
    std::unique_ptr<ExecChannel> channel;
    std::string shown;  // the command, for messages

    ProcessGroupReport group;
    // What the command wrote to standard error; cut back to its last stderr_kept bytes whenever it reaches twice that,
    // so that keeping the tail costs a constant amount of copying per byte.
    std::string errors;
    // Set by drain() when the server has closed the channel (or the connection broke): the process is over.
    bool finished = false;
    std::optional<int> exit_status;
    std::string lost;  // why the connection broke, if it did
    bool stdin_closed = false;
    bool kill_sent = false;
    bool closed_here = false;  // the channel was closed from this side before the server closed it
    WakeSignal changed;        // the group id settled, or the process finished

    void keep_errors(const std::string& text) {
        errors += text;
        if (errors.size() >= 2 * stderr_kept) errors.erase(0, errors.size() - stderr_kept);
    }

    // Reads standard error to its end (taking the process group report out of it), so that the command never blocks
    // on it however much it writes there, then waits for the server to close the channel and keeps the exit status.
    static asio::awaitable<void> drain(std::shared_ptr<State> self) {
        const std::function<void(std::string_view)> take = [&self](std::string_view chunk) {
            const bool settled = self->group.settled();
            self->keep_errors(self->group.take(chunk));
            if (settled != self->group.settled()) self->changed.notify_all();
        };
        try {
            co_await self->channel->read_to_end(SSH_EXTENDED_DATA_STDERR, take);
            self->keep_errors(self->group.finish());
            const int status = co_await self->channel->wait_exit();
            // A channel closed from here first reports no status of its own: the process was cut off.
            self->exit_status = self->closed_here ? 128 + SIGKILL : status;
        } catch (const ConnectionLost& e) {
            self->lost = e.what();
        }
        self->finished = true;
        self->changed.notify_all();
    }

    // Kills the process group with a command on a channel of its own; false when that could not be done (no group id,
    // the server refused the channel, the connection broke).
    static asio::awaitable<bool> kill_group(std::shared_ptr<State> self) {
        while (!self->group.settled() && !self->finished) co_await self->changed.wait();
        if (self->finished) co_return true;  // nothing left to kill
        if (self->group.id() == 0) co_return false;
        try {
            auto killer = co_await ExecChannel::start(self->lease.session, kill_process_group_command(self->group.id()));
            co_await complete_command(*killer, {});
        } catch (const Error&) {
            co_return false;
        }
        co_return true;
    }

    // Ends the process: kills its group (once), then closes the channel when asked to, or when the kill failed.
    static asio::awaitable<void> terminate(std::shared_ptr<State> self, bool close_channel) {
        bool killed = true;
        if (!self->kill_sent) {
            self->kill_sent = true;
            killed = co_await kill_group(self);
        }
        if ((close_channel || !killed) && !self->finished) {
            self->closed_here = true;
            try {
                co_await self->channel->close();
            } catch (const Error&) {
                // The connection broke: the channel is gone anyway.
            }
        }
    }
};

asio::awaitable<std::unique_ptr<SshProcess>> SshProcess::start(std::shared_ptr<Endpoint> endpoint, CommandSpec spec) {
    std::string shown = command_text(spec);
    const std::string command_line = with_process_group_report(shell_command_line(shown, spec.cwd, spec.env));
    StartedCommand command = co_await start_command(endpoint, command_line);
    auto state = std::make_shared<State>(std::move(endpoint), std::move(command), std::move(shown));
    asio::co_spawn(state->endpoint->executor(), State::drain(state), asio::detached);
    std::unique_ptr<SshProcess> process(new SshProcess(state));
    try {
        // A process that stops reading early leaves the rest unread: its exit status will tell why.
        co_await state->channel->write_all(spec.stdin_data);
    } catch (const ConnectionLost& e) {
        process->throw_connection_lost(e.what());
    }
    co_return process;
}

SshProcess::SshProcess(std::shared_ptr<State> state) : state_(std::move(state)), read_buffer_(read_chunk) {}

SshProcess::~SshProcess() {
    // Everything here touches the session, which lives on the event loop: done there, at once when this is its thread.
    const auto executor = state_->endpoint->executor();
    asio::dispatch(executor, [state = std::move(state_)] {
        if (!state->finished) asio::co_spawn(state->endpoint->executor(), State::terminate(state, true), asio::detached);
    });
}

void SshProcess::throw_connection_lost(const std::string& why) const {
    throw lost_while_running(*state_->endpoint, state_->shown, why);
}

asio::awaitable<void> SshProcess::write(std::string data) {
    State& state = *state_;
    if (!state.lost.empty()) throw_connection_lost(state.lost);
    if (state.stdin_closed || state.finished) {
        throw Error("cannot write to `" + state.shown + "` on " + state.endpoint->description() + ": its " +
                    (state.stdin_closed ? "standard input is closed" : "process has exited"));
    }
    bool taken = false;
    try {
        taken = co_await state.channel->write_all(data);
    } catch (const ConnectionLost& e) {
        throw_connection_lost(e.what());
    }
    if (!taken) {
        throw Error("cannot write to `" + state.shown + "` on " + state.endpoint->description() +
                    ": its channel no longer takes input (the process closed it or exited)");
    }
}

asio::awaitable<std::string> SshProcess::read_some() {
    std::size_t size = 0;
    try {
        size = co_await state_->channel->read(0, read_buffer_.data(), read_buffer_.size());
    } catch (const ConnectionLost& e) {
        throw_connection_lost(e.what());
    }
    co_return std::string(read_buffer_.data(), size);
}

asio::awaitable<void> SshProcess::close_stdin() {
    if (state_->stdin_closed) co_return;
    state_->stdin_closed = true;
    try {
        co_await state_->channel->send_eof();
    } catch (const ConnectionLost& e) {
        throw_connection_lost(e.what());
    }
}

asio::awaitable<int> SshProcess::wait() {
    while (!state_->finished) co_await state_->changed.wait();
    if (!state_->lost.empty()) throw_connection_lost(state_->lost);
    co_return *state_->exit_status;
}

std::string SshProcess::stderr_text() const {
    const std::string& errors = state_->errors;
    return errors.size() > stderr_kept ? errors.substr(errors.size() - stderr_kept) : errors;
}

void SshProcess::kill() {
    asio::dispatch(state_->endpoint->executor(), [state = state_] {
        if (!state->finished && !state->kill_sent) {
            asio::co_spawn(state->endpoint->executor(), State::terminate(state, false), asio::detached);
        }
    });
}

}  // namespace hpcexec::ssh
