#include "python/worker_protocol.hpp"

#include <hpcexec/errors.hpp>

namespace hpcexec::python {
namespace {

const Value& field(const Dict& dict, const char* name, const char* what) {
    const Value* value = dict.find(Value(name));
    if (value == nullptr)
        throw SerializationError(std::string("Python worker: the ") + what + " has no '" + name + "'");
    return *value;
}

std::string text_field(const Dict& dict, const char* name, const char* what) {
    return field(dict, name, what).to<std::string>();
}

PythonError::Stage stage_named(const std::string& name) {
    if (name == "request") return PythonError::Stage::request;
    if (name == "function") return PythonError::Stage::function;
    if (name == "result") return PythonError::Stage::result;
    return PythonError::Stage::call;
}

}  // namespace

std::string frame(std::string_view payload) {
    std::string out;
    out.reserve(frame_header_size + payload.size());
    std::uint64_t size = payload.size();
    for (std::size_t i = 0; i < frame_header_size; ++i) out += static_cast<char>((size >> (8 * i)) & 0xff);
    out.append(payload);
    return out;
}

std::uint64_t frame_length(std::string_view header) {
    std::uint64_t size = 0;
    for (std::size_t i = 0; i < frame_header_size; ++i)
        size |= std::uint64_t{static_cast<unsigned char>(header[i])} << (8 * i);
    return size;
}

Value make_request(const PythonFunction& function, List args, const Kwargs& kwargs, const std::string& cwd,
                   const std::vector<std::string>& sys_path) {
    Dict fn;
    if (function.is_ref()) {
        fn.items.emplace_back("ref", function.reference());
    } else {
        fn.items.emplace_back("source", function.source_text());
        fn.items.emplace_back("name", function.name());
    }
    Dict keywords;
    keywords.items.reserve(kwargs.size());
    for (const auto& [name, value] : kwargs) keywords.items.emplace_back(name, value);

    Dict request;
    request.items.emplace_back("fn", std::move(fn));
    request.items.emplace_back("args", Tuple{std::move(args)});
    request.items.emplace_back("kwargs", std::move(keywords));
    request.items.emplace_back("cwd", cwd);
    request.items.emplace_back("path", sys_path);
    return Value(std::move(request));
}

PythonInfo read_hello(const Value& hello) {
    if (!hello.is<Dict>()) throw SerializationError("Python worker: the hello is a " + hello.kind_name());
    const auto& dict = hello.as<Dict>();
    PythonInfo info;
    info.version = text_field(dict, "python", "hello");
    info.highest_protocol = field(dict, "highest_protocol", "hello").to<int>();
    info.executable = text_field(dict, "executable", "hello");
    return info;
}

PythonResult read_response(const Value& response, const PythonFunction& function, const std::string& target) {
    if (!response.is<Dict>()) throw SerializationError("Python worker: the response is a " + response.kind_name());
    const auto& dict = response.as<Dict>();
    std::string output = text_field(dict, "output", "response");
    if (field(dict, "ok", "response").to<bool>())
        return PythonResult{field(dict, "value", "response"), std::move(output)};
    throw PythonError(stage_named(text_field(dict, "stage", "response")), function.display_name(), target,
                      text_field(dict, "type", "response"), text_field(dict, "message", "response"),
                      text_field(dict, "traceback", "response"), std::move(output));
}

int written_pickle_protocol(const Serializer& serializer) {
    std::string probe = serializer.serialize(Value());
    constexpr unsigned char proto_opcode = 0x80;
    if (probe.size() >= 2 && static_cast<unsigned char>(probe[0]) == proto_opcode)
        return static_cast<unsigned char>(probe[1]);
    return 0;
}

}  // namespace hpcexec::python
