// Fault injection for crash tests: the process kills itself with SIGKILL at a named step.
//
// HPCEXEC_FAULT_INJECTION=<step> makes the step named <step> raise SIGKILL, once, in this process. Used by the
// exactly-once submission tests to crash the client between every two steps of a submission; unset in normal use,
// where each check costs one comparison.
#pragma once

#include <string_view>

namespace hpcexec {

void fault_injection_point(std::string_view step);

}  // namespace hpcexec
