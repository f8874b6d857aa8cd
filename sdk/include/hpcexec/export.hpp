// Symbol visibility for hpcexec libraries and plugins.
//
// Everything in hpcexec is compiled with hidden visibility; a declaration marked HPCEXEC_API is exported so that
// one copy of its type information and vtable exists for the kernel and every plugin (exceptions thrown in a plugin
// are then caught by type in the kernel and in user code).
#pragma once

#define HPCEXEC_API __attribute__((visibility("default")))
