// The checkpoint record of an exactly-once submission, and its (de)serialization.
#pragma once

#include <hpcexec/queue_system.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpcexec {

/// Which process is carrying out a submission, so another process can tell a live submitter from a dead one.
struct SubmissionOwner {
    std::string host;
    std::int64_t pid = 0;
    /// The process's start time (clock ticks since boot, /proc/<pid>/stat field 22): tells a reused pid apart.
    std::uint64_t start_ticks = 0;
    /// When the owner claimed the submission (seconds since the epoch); owners on other hosts are presumed dead
    /// after a lease.
    std::int64_t claimed_at = 0;

    /// The current process.
    static SubmissionOwner self();
    /// True when this owner is a live process: on this host, checked through /proc; on another host, presumed
    /// alive while its lease lasts.
    bool presumed_alive(std::int64_t lease_seconds) const;
};

/// What is stored under the checkpoint key.
struct SubmissionRecord {
    enum class Stage { submitting, submitted };
    Stage stage = Stage::submitting;
    /// The job's tag in the scheduler (Slurm: its comment).
    std::string token;
    SubmissionOwner owner;
    SubmitRequest request;
    /// Set once submitted.
    std::optional<JobRef> job;

    std::string serialize() const;
    /// Throws CheckpointError naming `store`, `key` and what is wrong when `bytes` is not a valid record.
    static SubmissionRecord parse(std::string_view bytes, const std::string& store, const std::string& key);
};

/// A fresh random token ("hpcexec-" + 32 hex digits).
std::string new_submission_token();

}  // namespace hpcexec
