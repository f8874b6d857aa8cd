// Parsing Slurm's output and writing the job script: pure functions, checked on real output shapes.
#include "job_script.hpp"
#include "slurm_output.hpp"

#include <gtest/gtest.h>

using namespace hpcexec;
using namespace hpcexec::slurm;

TEST(SlurmParsing, SqueueLinesBecomeStates) {
    auto jobs = parse_squeue("12|PENDING|Priority|tok-1\n13|RUNNING|None|(null)\n14|COMPLETED|None|\n"
                             "15|PENDING|JobHeldUser|\n16|COMPLETING|None|a|b\n17_3|TIMEOUT|TimeLimit|\n");
    ASSERT_EQ(jobs.size(), 6u);
    EXPECT_EQ(jobs["12"].state, JobState::pending);
    EXPECT_EQ(jobs["12"].reason, "Priority");
    EXPECT_EQ(jobs["12"].comment, "tok-1");
    EXPECT_EQ(jobs["13"].state, JobState::running);
    EXPECT_EQ(jobs["13"].comment, "");
    EXPECT_EQ(jobs["14"].state, JobState::completed);
    EXPECT_EQ(jobs["15"].state, JobState::held);
    EXPECT_EQ(jobs["16"].state, JobState::running);
    EXPECT_EQ(jobs["16"].comment, "a|b");
    EXPECT_EQ(jobs["17_3"].state, JobState::timeout);
}

TEST(SlurmParsing, MalformedSqueueLinesAreSkippedAndCounted) {
    std::size_t malformed = 0;
    auto jobs = parse_squeue("slurm_load_jobs error: Unable to contact slurm controller\n\n|RUNNING|x|\n20|RUNNING|None|\n",
                             &malformed);
    EXPECT_EQ(jobs.size(), 1u);
    EXPECT_EQ(malformed, 2u);
}

TEST(SlurmParsing, StatesMapLikeTheOriginal) {
    EXPECT_EQ(map_slurm_state("CANCELLED by 0"), JobState::cancelled);
    EXPECT_EQ(map_slurm_state("OUT_OF_MEMORY"), JobState::failed);
    EXPECT_EQ(map_slurm_state("NODE_FAIL"), JobState::failed);
    EXPECT_EQ(map_slurm_state("SUSPENDED"), JobState::held);
    EXPECT_EQ(map_slurm_state("SOMETHING_NEW"), JobState::unknown);
}

TEST(SlurmParsing, SacctSkipsStepsAndReadsExitCodes) {
    auto jobs = parse_sacct("30|FAILED|3:0\n30.batch|FAILED|3:0\n31|COMPLETED|0:0\n32|CANCELLED by 0|0:15\n");
    ASSERT_EQ(jobs.size(), 3u);
    EXPECT_EQ(jobs["30"].state, JobState::failed);
    EXPECT_EQ(jobs["30"].exit_code, 3);
    EXPECT_EQ(jobs["32"].state, JobState::cancelled);
}

TEST(SlurmParsing, SbatchJobIdAndMarkers) {
    EXPECT_EQ(parse_sbatch_job_id("123\n"), "123");
    EXPECT_EQ(parse_sbatch_job_id("123;cluster\n"), "123");
    EXPECT_EQ(parse_sbatch_job_id("sbatch: warning: something\n456\n"), "456");
    EXPECT_EQ(parse_sbatch_job_id("Submitted batch job 5"), std::nullopt);
    EXPECT_EQ(parse_exit_marker("3\n"), 3);
    EXPECT_EQ(parse_exit_marker("x"), std::nullopt);
    EXPECT_EQ(parse_exit_marker("999"), std::nullopt);
}

TEST(JobScript, NameIsAContentHash) {
    EXPECT_EQ(script_file_name("#!/bin/bash\necho a\n"), script_file_name("#!/bin/bash\necho a\n"));
    EXPECT_NE(script_file_name("#!/bin/bash\necho a\n"), script_file_name("#!/bin/bash\necho b\n"));
    EXPECT_EQ(script_file_name("x").size(), std::string("job-0123456789abcdef.sbatch").size());
}

TEST(JobScript, MarkerRecorderGoesAfterTheSbatchHeader) {
    std::string script = "#!/bin/bash\n#SBATCH -N 1\n\n#SBATCH --time=1\necho hi\n#SBATCH --ignored\n";
    std::string out = with_exit_marker(script, "/work/a dir", "job-x.sbatch");
    auto recorder = out.find("trap __hpcexec_record_exit EXIT");
    ASSERT_NE(recorder, std::string::npos);
    EXPECT_LT(out.find("#SBATCH --time=1"), recorder);
    EXPECT_GT(out.find("echo hi"), recorder);
    EXPECT_NE(out.find("'/work/a dir/job-x.sbatch.'\"${SLURM_JOB_ID:-unknown}.exit\""), std::string::npos) << out;
    // Not a shell script: left alone.
    EXPECT_EQ(with_exit_marker("#!/usr/bin/env python3\nprint(1)\n", "/w", "j"), "#!/usr/bin/env python3\nprint(1)\n");
}
