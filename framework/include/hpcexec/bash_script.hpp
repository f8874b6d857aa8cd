// Script builders: BashTemplate, BashStep and BashScript render batch scripts as the original executor does.
//
//     hpcexec::BashScript script;
//     script.templ.header = "#SBATCH -N 1\n#SBATCH --partition=debug";
//     hpcexec::BashStep step;
//     step.cmd = "echo \"hello world\"";
//     script.steps = {step};
//     hpcexec::SubmitOptions options;
//     options.cwd = "/path/to/cwd";
//     executor->submit(script.render(), options);
#pragma once

#include <hpcexec/export.hpp>

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hpcexec {

/// The frame around the steps: shebang, scheduler header (#SBATCH lines), setup (module loads, environment) and
/// teardown, each written as given.
struct BashTemplate {
    std::string shebang = "#!/bin/bash";
    std::string header;
    std::string setup;
    std::string teardown;
};

/// One step of a script.
struct BashStep {
    /// A shell command line (written as is), or an argv vector (every element shell-quoted).
    std::variant<std::string, std::vector<std::string>> cmd;
    /// Run the step in this directory (pushd/popd around it); empty = the script's directory.
    std::string cwd;
    /// A checkpoint file name (".checkpoint" is appended): a step whose checkpoint file exists is skipped, and the
    /// file is created when the step succeeds, so a resubmitted script resumes after its last finished step.
    std::string checkpoint;
    /// Stop the script with the step's exit status when it fails.
    bool exit_on_error = true;
};

/// Steps run one after another; a group (vector of steps) runs its steps in parallel and waits for all of them
/// (failing if any failed).
using BashStepOrGroup = std::variant<BashStep, std::vector<BashStep>>;

/// A complete batch script.
/// OWNERSHIP: plain values. ERRORS: render() throws Error for an empty argv command.
struct HPCEXEC_API BashScript {
    BashTemplate templ;
    std::vector<BashStepOrGroup> steps;

    /// Shebang, header, setup, each step between fences, teardown; every path shell-quoted.
    std::string render() const;
};

/// Renders one step (what BashScript::render writes for it).
HPCEXEC_API std::string render_bash_step(const BashStep& step);

}  // namespace hpcexec
