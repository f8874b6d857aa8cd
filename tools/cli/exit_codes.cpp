#include "exit_codes.hpp"

#include "command_line.hpp"

#include <hpcexec/errors.hpp>
#include <hpcexec/job.hpp>
#include <hpcexec/python.hpp>

namespace hpcexec::cli::exit_code {

int for_error(const std::exception_ptr& error) noexcept {
    // The most specific types first: ConnectionLost is a ConnectionError, everything of ours is an Error.
    try {
        std::rethrow_exception(error);
    } catch (const UsageError&) {
        return usage;
    } catch (const ConfigError&) {
        return config;
    } catch (const PluginError&) {
        return config;  // plugins are chosen and found through the configuration (names, plugin_dirs)
    } catch (const ConnectionError&) {
        return connection;
    } catch (const SchedulerError&) {
        return scheduler;
    } catch (const TimeoutError&) {
        return timeout;
    } catch (const CommandFailed&) {
        return job_failed;
    } catch (const PythonError&) {
        return job_failed;  // the function raised (or could not be imported): the call failed, as a command can
    } catch (const JobsFailed&) {
        return job_failed;
    } catch (...) {
        return other;
    }
}

}  // namespace hpcexec::cli::exit_code
