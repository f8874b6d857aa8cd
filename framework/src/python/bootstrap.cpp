#include "python/bootstrap.hpp"

#include "python/worker_protocol.hpp"

#include <hpcexec/shell.hpp>

namespace hpcexec::python {
namespace {

// What `python_cmd -u -c` runs. It must work in any Python (even Python 2, to be able to say that it is too old):
// it writes the version line first and stops there for Pythons older than 3.8. Then it reads the worker source
// (an 8-byte little-endian length and the text) from fd 0 with unbuffered reads, so that not a byte of the requests
// behind it is swallowed by a buffer, and runs it as the module `__hpcexec_worker__`.
constexpr std::string_view bootstrap_code =
    "import os,sys\n"
    "sys.stdout.write('hpcexec-python %d.%d.%d\\n'%tuple(sys.version_info[:3]));sys.stdout.flush()\n"
    "if sys.version_info<(3,8):sys.exit(0)\n"
    "def r(n):\n"
    " b=b''\n"
    " while len(b)<n:\n"
    "  c=os.read(0,n-len(b))\n"
    "  if not c:sys.exit('hpcexec bootstrap: the worker source was cut short')\n"
    "  b+=c\n"
    " return b\n"
    "exec(compile(r(int.from_bytes(r(8),'little')),'<hpcexec_worker>','exec'),{'__name__':'__hpcexec_worker__'})\n";

}  // namespace

CommandSpec worker_command(const WorkerLaunch& launch) {
    CommandSpec spec;
    spec.command = launch.python_cmd + " -u -c " + shell_quote(bootstrap_code) + " " + shell_quote(launch.format);
    spec.cwd = launch.cwd;
    spec.stdin_data = frame(worker_source());
    return spec;
}

std::string one_shot_command_line(const std::string& python_cmd, const std::string& format,
                                  const std::string& worker_file, const std::string& request_file,
                                  const std::string& response_file) {
    return python_cmd + " -u " + shell_join({worker_file, format, request_file, response_file});
}

}  // namespace hpcexec::python
