// The common base of every object a plugin creates.
#pragma once

#include <hpcexec/export.hpp>

namespace hpcexec {

/// Base class of Connector, QueueSystem, Serializer and CheckpointStore.
///
/// OWNERSHIP: a component is created by a plugin factory and handed to the kernel as std::unique_ptr<Component>;
/// the kernel wraps it in a std::shared_ptr whose deleter keeps the plugin's shared library loaded until the
/// component has been destroyed. Users hold components only through those shared pointers.
/// LIFETIME: a component must cancel its own timers and pending I/O in its destructor: after the destructor returns
/// no code of its library may run again (the library may be unloaded right after).
class HPCEXEC_API Component {
public:
    Component() = default;
    Component(const Component&) = delete;
    Component& operator=(const Component&) = delete;
    virtual ~Component();
};

}  // namespace hpcexec
