"""hpcexec's Python worker: runs Python functions for a C++ program (framework/include/hpcexec/python.hpp).

The C++ side embeds this file in its library and sends it to the target's Python; nothing is installed there.

Two ways to run it:

streaming  `python_cmd -u -c BOOTSTRAP FORMAT`, this source arriving on stdin (see framework/src/python/bootstrap.cpp).
           Requests arrive on stdin and responses leave on stdout as frames; the worker serves calls until stdin
           ends. A persistent worker serves many calls; one process per call serves one.
one-shot   `python_cmd -u hpcexec_worker.py FORMAT REQUEST_FILE RESPONSE_FILE`, in batch jobs: one request read from
           a file, its response written to a file (atomically); exit status 0 when the function returned, 1 when not.

A frame is an 8-byte little-endian length followed by that many bytes. FORMAT names how frames are encoded:
`pickle` (the default) or `json`. The conversation on the streams, after the bootstrap's version line:

    worker -> hello     {python, highest_protocol, pid, executable}
    C++    -> request   {fn: {ref} | {source, name}, args: tuple, kwargs: dict, cwd: str, path: [str]}
    worker -> accepted  an empty frame, written as soon as the request has been read: the C++ side knows that a
                        worker that dies before it never ran the call, so that call may be retried elsewhere
    worker -> response  {ok: True, value, output} or
                        {ok: False, stage, type, message, traceback, output}
    ... until stdin ends.

`stage` says how far the call got: `request` (the request could not be decoded, or its cwd entered), `function`
(the function could not be imported or defined), `call` (the function raised), `result` (the return value could not
be encoded). What the function prints (sys.stdout and sys.stderr, at Python level) is captured per call and returned
as `output`, apart from the value. The protocol uses private copies of fds 0 and 1: fd 0 then reads /dev/null and
fd 1 points at fd 2, so that a C extension writing to fd 1 cannot corrupt the protocol.
"""
import hashlib
import importlib
import io
import linecache
import os
import struct
import sys
import traceback
import types

# The C++ reader reads pickle protocols up to 5.
_MAX_PICKLE_PROTOCOL = 5
_FRAME_HEADER = struct.Struct('<Q')


def _codec(name):
    """The (loads, dumps) pair of a frame format."""
    if name == 'pickle':
        import pickle
        protocol = min(pickle.HIGHEST_PROTOCOL, _MAX_PICKLE_PROTOCOL)
        return pickle.loads, lambda value: pickle.dumps(value, protocol=protocol)
    if name == 'json':
        import json
        return json.loads, lambda value: json.dumps(value, allow_nan=False).encode('utf-8')
    sys.exit('hpcexec worker: unknown format %r (expected pickle or json)' % name)


def _hello():
    import pickle
    return {'python': '%d.%d.%d' % tuple(sys.version_info[:3]), 'highest_protocol': pickle.HIGHEST_PROTOCOL,
            'pid': os.getpid(), 'executable': sys.executable or ''}


# ---- Finding the function ----------------------------------------------------------------------------------------

# Functions given as source: one module per distinct source text, kept for the worker's life, so that a second call
# reuses the first call's definitions (and module-level state) instead of executing the source again.
_source_modules = {}


def _import(module_name):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError:
        # A package uploaded after this worker started is not in the import system's directory caches yet.
        importlib.invalidate_caches()
        return importlib.import_module(module_name)


def _attribute_path(obj, qualname):
    for part in qualname.split('.'):
        obj = getattr(obj, part)
    return obj


def _source_module(source):
    digest = hashlib.sha256(source.encode('utf-8', 'surrogatepass')).hexdigest()[:20]
    module = _source_modules.get(digest)
    if module is None:
        name = 'hpcexec_source_' + digest
        filename = '<hpcexec source %s>' % digest
        module = types.ModuleType(name)
        module.__file__ = filename
        # Tracebacks show the source's lines; an entry without a modification time is never dropped by linecache.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        # Registered so that objects of classes defined in the source can be pickled by reference.
        sys.modules[name] = module
        try:
            exec(compile(source, filename, 'exec'), module.__dict__)
        except BaseException:
            del sys.modules[name]
            raise
        _source_modules[digest] = module
    return module


def _resolve(fn):
    if 'ref' in fn:
        module_name, _, qualname = fn['ref'].partition(':')
        return _attribute_path(_import(module_name), qualname)
    return _attribute_path(_source_module(fn['source']), fn['name'])


# ---- Serving one call --------------------------------------------------------------------------------------------

def _type_name(exception_type):
    if exception_type.__module__ == 'builtins':
        return exception_type.__qualname__
    return exception_type.__module__ + '.' + exception_type.__qualname__


def _traceback_text(exception):
    # The worker's own frames say nothing to the caller: start at the first frame of other code.
    tb = exception.__traceback__
    while tb is not None and tb.tb_frame.f_globals is globals():
        tb = tb.tb_next
    return ''.join(traceback.format_exception(type(exception), exception, tb))


class _Capture:
    """Sends sys.stdout and sys.stderr into one buffer while a call runs."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.buffer = io.StringIO()

    def __enter__(self):
        if self.enabled:
            self.saved = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = self.buffer
        return self

    def __exit__(self, *exc):
        if self.enabled:
            sys.stdout, sys.stderr = self.saved
        return False

    def text(self):
        return self.buffer.getvalue()


def _prepare(request):
    for directory in reversed(request.get('path') or []):
        if directory not in sys.path:
            sys.path.insert(0, directory)
    cwd = request.get('cwd')
    if cwd:
        os.chdir(cwd)


def serve(request_bytes, loads, dumps, capture_output):
    """Runs the call that `request_bytes` holds; returns (response bytes, True when the function returned)."""
    capture = _Capture(capture_output)
    stage = 'request'
    try:
        request = loads(request_bytes)
        _prepare(request)
        with capture:
            stage = 'function'
            function = _resolve(request['fn'])
            stage = 'call'
            value = function(*request.get('args', ()), **request.get('kwargs', {}))
        stage = 'result'
        return dumps({'ok': True, 'value': value, 'output': capture.text()}), True
    except BaseException as exception:  # SystemExit and KeyboardInterrupt inside a call are the call's failure too
        response = {'ok': False, 'stage': stage, 'type': _type_name(type(exception)), 'message': str(exception),
                    'traceback': _traceback_text(exception), 'output': capture.text()}
        return dumps(response), False


# ---- Streaming mode ------------------------------------------------------------------------------------------------

def _read_exact(fd, size):
    """`size` bytes from fd, or None when the stream ends first."""
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b''.join(chunks)


def _read_frame(fd):
    header = _read_exact(fd, _FRAME_HEADER.size)
    if header is None:
        return None
    (size,) = _FRAME_HEADER.unpack(header)
    payload = _read_exact(fd, size)
    if payload is None:
        sys.exit('hpcexec worker: stdin ended inside a request frame')
    return payload


def _write_frame(fd, payload):
    data = memoryview(_FRAME_HEADER.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data):]


def _stream_main(format_name):
    loads, dumps = _codec(format_name)
    # Private copies of the protocol's streams (not inherited by child processes), then fd 0 reads /dev/null and
    # fd 1 goes where fd 2 goes: nothing the called code does with fds 0 and 1 can touch the protocol.
    protocol_in = os.dup(0)
    protocol_out = os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    _write_frame(protocol_out, dumps(_hello()))
    while True:
        request = _read_frame(protocol_in)
        if request is None:
            return
        _write_frame(protocol_out, b'')
        response, _ = serve(request, loads, dumps, capture_output=True)
        _write_frame(protocol_out, response)
        sys.stdout.flush()
        sys.stderr.flush()


# ---- One-shot mode -------------------------------------------------------------------------------------------------

def _one_shot_main(format_name, request_file, response_file):
    loads, dumps = _codec(format_name)
    with open(request_file, 'rb') as f:
        request = f.read()
    # A batch job's output goes to its output file as it is printed, not into the response.
    response, returned = serve(request, loads, dumps, capture_output=False)
    partial = response_file + '.partial'
    with open(partial, 'wb') as f:
        f.write(response)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, response_file)
    return 0 if returned else 1


if __name__ == '__hpcexec_worker__':
    _stream_main(sys.argv[1] if len(sys.argv) > 1 else 'pickle')
elif __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit('usage: hpcexec_worker.py FORMAT REQUEST_FILE RESPONSE_FILE')
    if sys.version_info < (3, 8):
        sys.exit('hpcexec worker: Python %d.%d is too old (3.8 or later is needed)' % tuple(sys.version_info[:2]))
    sys.exit(_one_shot_main(*sys.argv[1:]))
