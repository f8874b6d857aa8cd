// A Slurm controller outage is not a job failure. Stops slurmctld, so it runs alone (RUN_SERIAL).
#include "slurm_fixture.hpp"

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using hpcexec::Job;
using hpcexec::JobState;
using hpcexec::test::SlurmCluster;

TEST_P(SlurmCluster, ControllerOutageIsNotJobFailure) {
    auto executor = make_executor();
    std::vector<Job> jobs;
    hpcexec::SubmitOptions options;
    options.extra_args = {"--begin=now+5"};
    for (int i = 0; i < 10; ++i) jobs.push_back(executor->submit("#!/bin/bash\necho " + std::to_string(i) + "\n", options));

    testing::internal::CaptureStderr();
    std::atomic<bool> sampling{true};
    std::atomic<int> failed_seen{0};
    std::thread sampler([&] {
        while (sampling) {
            for (auto& job : jobs) failed_seen += job.state() == JobState::failed;
            std::this_thread::sleep_for(100ms);
        }
    });
    hpcexec::test::cluster_ctl("stop-slurmctld");
    std::this_thread::sleep_for(20s);
    hpcexec::test::cluster_ctl("start-slurmctld");
    auto statuses = hpcexec::gather_jobs(jobs, 1, false);
    sampling = false;
    sampler.join();
    std::string log = testing::internal::GetCapturedStderr();

    for (const auto& status : statuses) EXPECT_EQ(status.state, JobState::completed);
    EXPECT_EQ(failed_seen.load(), 0) << "a job was reported FAILED during the outage";
    std::size_t outages = 0;
    for (auto at = log.find("cannot query job states"); at != std::string::npos; at = log.find("cannot query job states", at + 1))
        ++outages;
    EXPECT_EQ(outages, 1u) << log;
    EXPECT_NE(log.find("job states are available again"), std::string::npos) << log;
}


INSTANTIATE_TEST_SUITE_P(Routes, SlurmCluster,
                         ::testing::Values(hpcexec::test::SlurmRoute::local,
                                           hpcexec::test::SlurmRoute::ssh_via_gateway),
                         hpcexec::test::slurm_route_name);
