// What an error says: runs a callable that must throw E and returns what(); fails the test otherwise.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace hpcexec::test {

template <class E, class F> std::string error_of(F&& action) {
    try {
        action();
    } catch (const E& e) {
        return e.what();
    }
    ADD_FAILURE() << "expected an exception of the expected type";
    return {};
}

}  // namespace hpcexec::test
