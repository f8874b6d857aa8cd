// A shared library that is not an hpcexec plugin: it exports a function, but not the entry point.
extern "C" __attribute__((visibility("default"))) int some_other_function() { return 42; }
