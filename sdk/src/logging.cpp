#include <hpcexec/errors.hpp>
#include <hpcexec/logging.hpp>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>

namespace hpcexec {
namespace {

// All hpcexec loggers share one sink and one level; the level starts from HPCEXEC_LOG_LEVEL (default: warn).
struct LoggingState {
    std::mutex mutex;
    spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    spdlog::level::level_enum level = spdlog::level::warn;
    bool level_from_environment_read = false;
};

LoggingState& state() {
    static LoggingState instance;
    return instance;
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
    if (name == "trace") return spdlog::level::trace;
    if (name == "debug") return spdlog::level::debug;
    if (name == "info") return spdlog::level::info;
    if (name == "warn" || name == "warning") return spdlog::level::warn;
    if (name == "error") return spdlog::level::err;
    if (name == "off") return spdlog::level::off;
    return std::nullopt;
}

void read_level_from_environment(LoggingState& s) {
    if (s.level_from_environment_read) return;
    s.level_from_environment_read = true;
    if (const char* env = std::getenv("HPCEXEC_LOG_LEVEL")) {
        if (auto level = parse_level(env)) s.level = *level;
    }
}

}  // namespace

std::shared_ptr<spdlog::logger> get_logger(std::string_view component) {
    auto& s = state();
    std::lock_guard lock(s.mutex);
    read_level_from_environment(s);
    std::string name = "hpcexec." + std::string(component);
    if (auto existing = spdlog::get(name)) return existing;
    auto logger = std::make_shared<spdlog::logger>(name, s.sink);
    logger->set_level(s.level);
    logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
    spdlog::register_logger(logger);
    return logger;
}

void set_log_level(std::string_view level, std::string_view key_path) {
    auto parsed = parse_level(level);
    if (!parsed) {
        throw ConfigError(std::string(key_path), "unknown log level '" + std::string(level) +
                                                     "' (expected trace, debug, info, warn, error or off)");
    }
    auto& s = state();
    std::lock_guard lock(s.mutex);
    s.level_from_environment_read = true;
    s.level = *parsed;
    spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& logger) {
        if (logger->name().rfind("hpcexec.", 0) == 0) logger->set_level(*parsed);
    });
}

}  // namespace hpcexec
