#include "command_server.hpp"

#include "command_runner.hpp"
#include "command_server_source.hpp"
#include "ssh_process.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/shell.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <csignal>
#include <cstring>
#include <map>
#include <string_view>
#include <variant>

namespace hpcexec::ssh {
namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// Frames, both ways: u32 payload length, u8 kind, u64 request id, then the payload; little-endian (the source in
// command_server_source.cpp describes the kinds).
constexpr std::size_t header_size = 13;
// Neither side sends a bigger payload; a bigger length means the stream is broken.
constexpr std::size_t max_payload = 16 << 20;
// Standard input goes in frames of at most this much (the server's output comes in frames of 1 MiB too).
constexpr std::size_t stdin_chunk = 1 << 20;
constexpr std::string_view hello = "hpcexec-command-server 1\n";
constexpr std::size_t hello_search_limit = 64 * 1024;
// Python's start on a busy login node (or a slow shared file system) can take a while.
constexpr std::chrono::seconds handshake_limit{30};
// How long after the time limit the server may take to report the kill before the request is given up here (the
// exec path's grace).
constexpr std::chrono::seconds timeout_grace{5};
// How long an ended server may take to report its exit status (for the message saying why it ended).
constexpr std::chrono::seconds last_words_limit{2};
// Marks the server's command line, so that it can be told apart from everything else in `ps`.
constexpr std::string_view marker = "hpcexec-command-server";

void put_le(std::string& out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value |= std::uint64_t(static_cast<unsigned char>(in[at + i])) << (8 * i);
    return value;
}

std::string frame(char kind, std::uint64_t id, std::string_view payload) {
    std::string out;
    out.reserve(header_size + payload.size());
    put_le(out, payload.size(), 4);
    out.push_back(kind);
    put_le(out, id, 8);
    out.append(payload);
    return out;
}

// How the server's process ended, for a message: its exit status and the end of its standard error.
asio::awaitable<std::string> last_words(RemoteProcess& process, const asio::any_io_executor& executor) {
    asio::steady_timer limit(executor);
    limit.expires_after(last_words_limit);
    auto ended = co_await (process.wait() || limit.async_wait(asio::use_awaitable));
    std::string text = ended.index() == 0 ? "exit status " + std::to_string(std::get<0>(ended)) : "still running";
    std::string errors = process.stderr_text();
    while (!errors.empty() && (errors.back() == '\n' || errors.back() == ' ')) errors.pop_back();
    if (errors.size() > 500) errors = "..." + errors.substr(errors.size() - 500);
    if (!errors.empty()) text += ": " + errors;
    co_return text;
}

}  // namespace

struct CommandServer::Request {
    explicit Request(const asio::any_io_executor& executor) : changed(executor) {}
    CommandResult result;
    bool finished = false;
    WakeSignal changed;  // finished, or the server gone
};

// One server process and what travels through it. A new one replaces it when it has gone.
struct CommandServer::Instance {
    explicit Instance(const asio::any_io_executor& executor) : write_turn(executor) {}

    std::unique_ptr<RemoteProcess> process;
    std::map<std::uint64_t, std::shared_ptr<Request>> pending;  // handed over, no end reported yet
    std::string received;  // the start of a frame not complete yet
    // Frames of one request are written together: one writer at a time (a channel write may be partial).
    bool writing = false;
    WakeSignal write_turn;
    // Set once the server has gone: why, and whether the connection broke (else the server alone ended).
    bool gone = false;
    bool connection_broke = false;
    std::string why;

    void end(bool connection, std::string reason) {
        if (gone) return;
        gone = true;
        connection_broke = connection;
        why = std::move(reason);
        for (auto& [id, request] : pending) request->changed.notify_all();
        write_turn.notify_all();
    }

    // Takes the complete frames out of `received`; false when the stream is broken.
    bool take_frames() {
        std::size_t at = 0;
        while (received.size() - at >= header_size) {
            const std::size_t size = get_le(received, at, 4);
            if (size > max_payload) return false;
            if (received.size() - at - header_size < size) break;
            const char kind = received[at + 4];
            const std::uint64_t id = get_le(received, at + 5, 8);
            const std::string_view payload(received.data() + at + header_size, size);
            at += header_size + size;
            auto found = pending.find(id);
            if (found == pending.end()) continue;  // given up on at its time limit
            Request& request = *found->second;
            if (kind == 'o') {
                request.result.stdout_data.append(payload);
            } else if (kind == 'e') {
                request.result.stderr_data.append(payload);
            } else if (kind == 'x' && size == 5) {
                request.result.exit_status = static_cast<std::int32_t>(get_le(payload, 0, 4));
                if (payload[4] != 0) {
                    request.result.timed_out = true;
                    request.result.exit_status = 128 + SIGTERM;  // as the exec path reports a timeout kill
                }
                request.finished = true;
                request.changed.notify_all();
                pending.erase(found);
            } else {
                return false;
            }
        }
        received.erase(0, at);
        return true;
    }
};

std::shared_ptr<CommandServer> CommandServer::of(Endpoint& endpoint, const std::string& python) {
    if (!endpoint.command_server) endpoint.command_server = std::make_shared<CommandServer>(endpoint, python);
    return endpoint.command_server;
}

CommandServer::CommandServer(Endpoint& endpoint, std::string python)
    : endpoint_(endpoint.weak_from_this()), python_(std::move(python)), start_ended_(endpoint.executor()) {}

CommandServer::~CommandServer() = default;

void CommandServer::shutdown() {
    unavailable_ = true;
    if (instance_) instance_->end(true, "the connector was closed");
    instance_.reset();  // destroying the process closes its channel: the server then ends its commands
    start_ended_.notify_all();
}

void CommandServer::give_up(const std::string& why) {
    unavailable_ = true;
    if (auto endpoint = endpoint_.lock()) {
        endpoint->logger()->info("no command server on {} ({}); each command runs on a channel of its own",
                                 endpoint->description(), why);
    }
}

asio::awaitable<std::shared_ptr<CommandServer::Instance>> CommandServer::running_instance() {
    for (;;) {
        if (unavailable_) co_return nullptr;
        if (instance_ && !instance_->gone) co_return instance_;
        if (!starting_) co_return co_await start_instance();
        co_await start_ended_.wait();
    }
}

asio::awaitable<std::shared_ptr<CommandServer::Instance>> CommandServer::start_instance() {
    // Whatever happens, the callers waiting for this attempt look again.
    struct Attempt {
        CommandServer& server;
        explicit Attempt(CommandServer& s) : server(s) { server.starting_ = true; }
        ~Attempt() {
            server.starting_ = false;
            server.start_ended_.notify_all();
        }
    } attempt(*this);
    auto endpoint = endpoint_.lock();
    if (!endpoint) co_return nullptr;
    std::shared_ptr<Instance> instance;
    std::string failure;
    try {
        instance = co_await launch(endpoint);
    } catch (const ConnectionError&) {
        // The connection, not the server: this command takes the exec path, which retries or reports it; the next
        // one tries the server again.
        co_return nullptr;
    } catch (const Error& e) {
        failure = e.what();
    }
    if (!instance) {
        give_up(failure);
        co_return nullptr;
    }
    if (unavailable_) co_return nullptr;  // shut down meanwhile
    instance_ = instance;
    asio::co_spawn(endpoint->executor(), read_answers(shared_from_this(), instance), asio::detached);
    co_return instance;
}

asio::awaitable<std::shared_ptr<CommandServer::Instance>> CommandServer::launch(std::shared_ptr<Endpoint> endpoint) {
    const auto executor = endpoint->executor();
    CommandSpec spec;
    // Python coerces a C locale by setting LC_CTYPE in its environment, which the commands would inherit: turned
    // off here (through env(1): any login shell), and the variable that turns it off is dropped by the server.
    spec.command = "env PYTHONCOERCECLOCALE=0 " + shell_quote(python_) + " -u -c " +
                   shell_quote(std::string(command_server_bootstrap())) + " " + std::string(marker);
    const std::string_view source = command_server_source();
    put_le(spec.stdin_data, source.size(), 8);
    spec.stdin_data.append(source);
    std::unique_ptr<SshProcess> process = co_await SshProcess::start(endpoint, std::move(spec));

    // The user's shell start-up files may print something first: the hello line is looked for, within limits.
    std::string received;
    std::size_t hello_at = std::string::npos;
    auto read_hello = [&]() -> asio::awaitable<void> {
        while (hello_at == std::string::npos && received.size() < hello_search_limit) {
            std::string chunk = co_await process->read_some();
            if (chunk.empty()) co_return;
            received += chunk;
            hello_at = received.find(hello);
        }
    };
    asio::steady_timer limit(executor);
    limit.expires_after(handshake_limit);
    auto answered = co_await (read_hello() || limit.async_wait(asio::use_awaitable));
    if (answered.index() == 1) throw Error("`" + python_ + "` did not start it within 30 s");
    if (hello_at == std::string::npos) {
        std::string why = co_await last_words(*process, executor);
        throw Error("`" + python_ + "` did not start it (" + why + ")");
    }
    auto instance = std::make_shared<Instance>(executor);
    instance->process = std::move(process);
    instance->received = received.substr(hello_at + hello.size());
    co_return instance;
}

asio::awaitable<void> CommandServer::read_answers(std::shared_ptr<CommandServer> self,
                                                  std::shared_ptr<Instance> instance) {
    const auto executor = co_await asio::this_coro::executor;
    bool connection = false;
    std::string why;
    try {
        for (;;) {
            if (!instance->take_frames()) {
                why = "it sent a malformed answer";
                break;
            }
            std::string chunk = co_await instance->process->read_some();
            if (chunk.empty()) break;
            instance->received += chunk;
        }
    } catch (const ConnectionLost& e) {
        connection = true;
        why = e.what();
    }
    if (!connection) {
        try {
            std::string words = co_await last_words(*instance->process, executor);
            if (why.empty()) why = "it ended, " + words;
        } catch (const ConnectionLost& e) {
            connection = true;  // the server's output ended because the connection did
            why = e.what();
        }
    }
    instance->end(connection, why);
    if (self->instance_ == instance) self->instance_.reset();
}

asio::awaitable<std::optional<CommandResult>> CommandServer::run(std::string command_line, std::string shown,
                                                                 std::string stdin_data,
                                                                 std::optional<std::chrono::milliseconds> timeout) {
    auto self = shared_from_this();
    if (command_line.size() + 9 > max_payload) co_return std::nullopt;  // not for one frame: the exec path
    std::shared_ptr<Instance> instance = co_await running_instance();
    if (!instance) co_return std::nullopt;

    const std::uint64_t id = next_id_++;
    const auto executor = co_await asio::this_coro::executor;
    auto request = std::make_shared<Request>(executor);
    // The request, and standard input with it when it is small (one write, the usual case).
    std::string payload;
    put_le(payload, timeout ? static_cast<std::uint64_t>(timeout->count()) : 0, 8);
    payload.push_back(stdin_data.empty() ? 0 : 1);
    payload.append(command_line);
    std::string first = frame('r', id, payload);
    const bool stdin_inline = stdin_data.size() <= stdin_chunk;
    if (!stdin_data.empty() && stdin_inline) first += frame('i', id, stdin_data) + frame('c', id, {});

    while (instance->writing && !instance->gone) co_await instance->write_turn.wait();
    if (instance->gone) co_return std::nullopt;  // never handed over
    instance->writing = true;
    instance->pending.emplace(id, request);
    bool handed_over = false;
    try {
        co_await instance->process->write(std::move(first));
        handed_over = true;
        for (std::size_t at = 0; !stdin_inline && at < stdin_data.size(); at += stdin_chunk) {
            std::string chunk = frame('i', id, std::string_view(stdin_data).substr(at, stdin_chunk));
            co_await instance->process->write(std::move(chunk));
        }
        if (!stdin_inline) {
            std::string end = frame('c', id, {});
            co_await instance->process->write(std::move(end));
        }
    } catch (const Error&) {
        // The server or the connection went: the reader finds out which, and ends the request if it was handed over.
    }
    instance->writing = false;
    instance->write_turn.notify_all();
    if (!handed_over) {
        // A partly written request is never run (the server ends when its input ends inside a frame).
        instance->pending.erase(id);
        co_return std::nullopt;
    }

    auto until_answered = [&]() -> asio::awaitable<void> {
        while (!request->finished && !instance->gone) co_await request->changed.wait();
    };
    if (timeout) {
        asio::steady_timer backstop(executor);
        backstop.expires_after(*timeout + timeout_grace);
        auto answered = co_await (until_answered() || backstop.async_wait(asio::use_awaitable));
        if (answered.index() == 1) {
            // The server did not end the command: give it up (its late answer is ignored).
            instance->pending.erase(id);
            CommandResult result;
            result.timed_out = true;
            result.exit_status = 128 + SIGKILL;
            co_return result;
        }
    } else {
        co_await until_answered();
    }
    if (request->finished) co_return std::move(request->result);
    instance->pending.erase(id);
    auto endpoint = endpoint_.lock();
    if (instance->connection_broke && endpoint) throw lost_while_running(*endpoint, shown, instance->why);
    throw ConnectionLost("the command server on " + (endpoint ? endpoint->description() : std::string("the host")) +
                         " ended while `" + shown + "` was running; whether it finished is unknown (" +
                         instance->why + ")");
}

}  // namespace hpcexec::ssh
