// The command server that runs on the target host (see command_server.hpp): a small Python 3 program, sent on the
// standard input of `python3 -u -c <bootstrap>` so that the command line stays short.
#pragma once

#include <string_view>

namespace hpcexec::ssh {

/// What `python -u -c` runs: reads the server source from standard input (an 8-byte little-endian length, then the
/// text) and runs it.
std::string_view command_server_bootstrap();

/// The server itself. It first writes the line "hpcexec-command-server 1\n", then answers request frames; the
/// frame format is described at the top of the source (command_server_source.cpp) and in command_server.cpp.
std::string_view command_server_source();

}  // namespace hpcexec::ssh
