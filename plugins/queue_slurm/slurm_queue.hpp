// SlurmQueue: the QueueSystem for Slurm, driving sbatch, squeue, sacct and scancel through a Connector.
#pragma once

#include "slurm_output.hpp"

#include <hpcexec/config_reader.hpp>
#include <hpcexec/connector.hpp>
#include <hpcexec/queue_system.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace hpcexec::slurm {

/// The `queue_system.slurm` options. Keys and defaults as the original executor's, plus sacct and extra arguments.
struct SlurmOptions {
    std::string sbatch_bin = "sbatch";
    std::string squeue_bin = "squeue";
    std::string scancel_bin = "scancel";
    /// sacct for jobs Slurm has purged; empty to never use accounting. Disabled by itself on a site whose
    /// accounting storage is off.
    std::string sacct_bin = "sacct";
    std::chrono::milliseconds polling_interval = std::chrono::seconds(10);
    /// How long one Slurm command may take before it counts as a scheduler outage.
    std::chrono::milliseconds command_timeout = std::chrono::seconds(60);
    std::vector<std::string> sbatch_args;
    std::vector<std::string> squeue_args;
    /// E.g. ["-c"] to read the job completion log where there is no slurmdbd.
    std::vector<std::string> sacct_args;

    /// Reads and validates the options; throws ConfigError with the key path.
    static SlurmOptions read(ConfigReader& reader);
};

/// THREAD: coroutines on the kernel's event loop; any number may run at once.
class SlurmQueue final : public QueueSystem {
public:
    SlurmQueue(SlurmOptions options, std::shared_ptr<Connector> connector, std::shared_ptr<spdlog::logger> logger);
    ~SlurmQueue() override;

    boost::asio::awaitable<JobRef> submit(SubmitRequest request) override;
    boost::asio::awaitable<std::map<std::string, JobStatus>> query(std::vector<JobRef> jobs) override;
    boost::asio::awaitable<std::vector<JobRef>> find_submitted(SubmitRequest request) override;
    boost::asio::awaitable<void> cancel(std::vector<std::string> job_ids) override;
    std::chrono::milliseconds polling_interval() const override { return options_.polling_interval; }

private:
    /// Runs a Slurm command; throws SchedulerError naming it with what it printed when it fails or times out.
    boost::asio::awaitable<CommandResult> run_slurm(std::vector<std::string> argv, const char* what);
    boost::asio::awaitable<std::map<std::string, std::string>> read_markers(const std::vector<JobRef>& jobs);
    /// One squeue of all the user's jobs; throws SchedulerError when squeue fails.
    boost::asio::awaitable<std::unordered_map<std::string, QueueEntry>> list_queue();

    SlurmOptions options_;
    std::shared_ptr<Connector> connector_;
    std::shared_ptr<spdlog::logger> logger_;
    /// Cleared for good when sacct says accounting is disabled on this cluster.
    std::atomic<bool> accounting_usable_;
};

}  // namespace hpcexec::slurm
