// Serializer: turns a Value into bytes and back (pickle for Python, JSON for tools).
#pragma once

#include <hpcexec/component.hpp>
#include <hpcexec/export.hpp>
#include <hpcexec/value.hpp>

#include <string>
#include <string_view>

namespace hpcexec {

/// Converts values to a byte format and back.
///
/// THREAD: const methods; safe to call concurrently from any thread.
/// ERRORS: SerializationError naming the serializer, and the value kind or input offset that could not be handled.
/// Reading never executes anything from the input and uses bounded memory and nesting on hostile input.
class HPCEXEC_API Serializer : public Component {
public:
    ~Serializer() override;
    /// The format's name as configured ("pickle", "json").
    virtual std::string name() const = 0;
    /// The media type of what serialize() writes ("application/python-pickle", "application/json").
    virtual std::string media_type() const = 0;
    virtual std::string serialize(const Value& value) const = 0;
    virtual Value deserialize(std::string_view bytes) const = 0;
};

}  // namespace hpcexec
