// The command server's Python text, and the bootstrap that loads it (see command_server_source.hpp).
#include "command_server_source.hpp"

namespace hpcexec::ssh {

std::string_view command_server_bootstrap() {
    // Reads the server source (an 8-byte little-endian length, then the text) from fd 0 with unbuffered reads, so
    // that not a byte of the request frames behind it is swallowed by a buffer, and runs it.
    static constexpr std::string_view code =
        "import os,sys\n"
        "def r(n):\n"
        " b=b''\n"
        " while len(b)<n:\n"
        "  c=os.read(0,n-len(b))\n"
        "  if not c:sys.exit('hpcexec command server: its source was cut short')\n"
        "  b+=c\n"
        " return b\n"
        "exec(compile(r(int.from_bytes(r(8),'little')),'<hpcexec_command_server>','exec'),"
        "{'__name__':'__hpcexec_command_server__'})\n";
    return code;
}

std::string_view command_server_source() {
    // Frames (both ways): u32 payload length, u8 kind, u64 request id, payload; little-endian.
    // Requests: 'r' run (u64 timeout in ms, 0 = none; u8 1 when stdin frames follow; the command line),
    // 'i' a chunk of standard input, 'c' the end of standard input. Answers: 'o' a chunk of standard output,
    // 'e' a chunk of standard error, 'x' the end (i32 exit status, u8 timed out), always the last frame of an id.
    static constexpr std::string_view source = R"server_py(
import os, queue, selectors, signal, struct, subprocess, sys, threading, time, traceback

HEADER = struct.Struct('<IBQ')
MAX_PAYLOAD = 16 << 20          # the client sends nothing bigger; anything bigger is a broken stream
CHUNK = 1 << 20                 # output is sent in frames of at most this much
KILL_AFTER = 2.0                # like `timeout -k 2`: SIGTERM at the limit, SIGKILL 2 s later
OUTPUT_GRACE = 2.5              # after a timeout kill, how long outputs held open by escaped processes are read
SHELL = os.environ.get('SHELL') or '/bin/sh'
# The commands get the environment sshd gave the login shell (see command_server.cpp for this variable).
os.environ.pop('PYTHONCOERCECLOCALE', None)

out_lock = threading.Lock()
commands = {}                   # id -> Command, while running
commands_lock = threading.Lock()


def quit_now(code):
    # The client is gone (our stdin or stdout closed): nobody will ever read the results, so the commands go too.
    with commands_lock:
        running = list(commands.values())
    for command in running:
        command.kill_group(signal.SIGKILL)
    os._exit(code)


def send(kind, ident, payload=b''):
    frame = HEADER.pack(len(payload), kind, ident) + payload
    with out_lock:
        view = memoryview(frame)
        try:
            while view:
                view = view[os.write(1, view):]
        except OSError:
            quit_now(1)


class Command:
    def __init__(self, ident, timeout_ms, line, has_stdin):
        self.ident = ident
        self.timeout = timeout_ms / 1000.0 if timeout_ms else None
        self.line = line
        self.stdin = queue.Queue() if has_stdin else None
        self.proc = None

    def kill_group(self, sig):
        # The command leads a session (and process group) of its own: this reaches everything it started
        # that did not leave the group.
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except OSError:
                pass

    def feed(self):
        pipe = self.proc.stdin
        try:
            while True:
                chunk = self.stdin.get()
                if chunk is None:
                    break
                pipe.write(chunk)
        except OSError:
            pass  # the command closed its input: like a pipe whose reader went away
        finally:
            # Chunks that still come are dropped (stdin None): the command has closed its input or it has ended.
            try:
                pipe.close()
            except OSError:
                pass
            self.stdin = None

    def run(self):
        try:
            self.proc = subprocess.Popen([SHELL, '-c', self.line], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            send(ord('e'), self.ident, ('hpcexec command server: cannot run %s: %s\n' % (SHELL, e)).encode())
            self.finish(127, False)
            return
        if self.stdin is None:
            self.proc.stdin.close()
        else:
            threading.Thread(target=self.feed, daemon=True).start()
        # This thread reads both outputs and keeps the time: one thread per command, for the latency.
        self.deadline = time.monotonic() + self.timeout if self.timeout is not None else None
        self.stage = 0
        poller = selectors.DefaultSelector()
        poller.register(self.proc.stdout, selectors.EVENT_READ, ord('o'))
        poller.register(self.proc.stderr, selectors.EVENT_READ, ord('e'))
        # Like sshd, the end is reported once the outputs are closed and the command has exited (a background
        # process holding the outputs open keeps it going), except after a timeout kill.
        while poller.get_map() and self.stage < 3:
            events = poller.select(self.remaining())
            for key, _ in events:
                data = os.read(key.fd, CHUNK)
                if data:
                    send(key.data, self.ident, data)
                else:
                    poller.unregister(key.fileobj)
            if not events:
                self.escalate()
        poller.close()
        while self.proc.returncode is None:
            try:
                self.proc.wait(self.remaining())
            except subprocess.TimeoutExpired:
                self.escalate()
        self.proc.stdout.close()
        self.proc.stderr.close()
        status = self.proc.returncode
        self.finish(128 - status if status < 0 else status, self.stage > 0)

    def remaining(self):
        return None if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def escalate(self):
        # At the limit SIGTERM to the group; 2 s later SIGKILL; then outputs that escaped processes hold open are
        # no longer read.
        if self.deadline is None or time.monotonic() < self.deadline:
            return
        if self.stage == 0 and self.proc.poll() is not None:
            # The command ended in time; only its outputs are held open (by a background process): as with sshd
            # and `timeout`, nothing is killed, and the client gives up 5 s after the limit.
            self.deadline = None
            return
        self.stage += 1
        if self.stage == 1:
            self.kill_group(signal.SIGTERM)
            self.deadline += KILL_AFTER
        elif self.stage == 2:
            self.kill_group(signal.SIGKILL)
            self.deadline += OUTPUT_GRACE
        else:
            self.deadline = None  # killed: its exit comes

    def finish(self, status, timed_out):
        with commands_lock:
            commands.pop(self.ident, None)
        send(ord('x'), self.ident, struct.pack('<iB', status, 1 if timed_out else 0))


# Commands run on pooled threads: starting a thread costs more than handing work to an idle one.
work = queue.Queue()
idle_workers = 0
idle_lock = threading.Lock()


def worker():
    global idle_workers
    while True:
        try:
            work.get().run()
        except BaseException:
            # A bug here must not leave a request unanswered: the client sees the server end (ConnectionLost).
            traceback.print_exc()
            quit_now(3)
        with idle_lock:
            idle_workers += 1


def dispatch(command):
    global idle_workers
    with idle_lock:
        start = idle_workers == 0
        if not start:
            idle_workers -= 1
    work.put(command)
    if start:
        threading.Thread(target=worker, daemon=True).start()


def read_exactly(buffer, n):
    while len(buffer) < n:
        data = os.read(0, max(n - len(buffer), CHUNK))
        if not data:
            quit_now(0)
        buffer += data
    return buffer


def main():
    os.write(1, b'hpcexec-command-server 1\n')
    buffer = b''
    while True:
        buffer = read_exactly(buffer, HEADER.size)
        size, kind, ident = HEADER.unpack_from(buffer)
        if size > MAX_PAYLOAD:
            sys.stderr.write('hpcexec command server: a frame of %d bytes: the stream is broken\n' % size)
            quit_now(2)
        buffer = read_exactly(buffer, HEADER.size + size)
        payload = buffer[HEADER.size:HEADER.size + size]
        buffer = buffer[HEADER.size + size:]
        if kind == ord('r'):
            timeout_ms, has_stdin = struct.unpack_from('<QB', payload)
            command = Command(ident, timeout_ms, payload[9:], has_stdin)  # bytes: passed on exactly
            with commands_lock:
                commands[ident] = command
            dispatch(command)
        else:
            with commands_lock:
                command = commands.get(ident)
            stdin = command.stdin if command is not None else None
            if stdin is not None:
                stdin.put(payload if kind == ord('i') else None)


main()
)server_py";
    return source;
}

}  // namespace hpcexec::ssh
