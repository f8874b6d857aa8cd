// Logging for the kernel and every plugin, on spdlog.
//
// Quiet by default (warnings and errors only). HPCEXEC_LOG_LEVEL=debug (or trace, info, warn, error, off) in the
// environment, or the configuration key `log_level`, changes the level of every hpcexec logger at once.
// Secrets (passwords, passphrases, key material) must never be passed to a logger.
#pragma once

#include <hpcexec/export.hpp>

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>

namespace hpcexec {

/// Returns the logger named "hpcexec.<component>" (e.g. "hpcexec.kernel", "hpcexec.slurm"), creating it on first
/// use with the shared stderr sink and the current level.
/// OWNERSHIP: shared; the logger lives as long as any holder (the registry holds one). THREAD: any thread.
HPCEXEC_API std::shared_ptr<spdlog::logger> get_logger(std::string_view component);

/// Sets the level of every hpcexec logger, existing and future ("trace", "debug", "info", "warn", "error", "off").
/// Throws ConfigError(key_path, ...) for an unknown level name.
HPCEXEC_API void set_log_level(std::string_view level, std::string_view key_path = "log_level");

}  // namespace hpcexec
