#!/usr/bin/env bash
# The main job on a fresh machine: installs the dependencies, builds, starts the local test cluster (Slurm and two
# sshd on loopback) and runs the seed's simple workflow end to end through the SSH connector via the jump host:
# prepare inputs with a Python function on the login node, submit one Slurm job per input that squares it, wait
# for all of them asynchronously with retries, sum the outputs with another Python function, print the sum.
#
#   tools/run-main.sh [--tasks N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"

bash "$root/tools/install-deps.sh"
bash "$root/tools/build.sh"
bash "$root/tools/testcluster/start.sh"
config="$build_dir/testcluster.yaml"
bash "$root/tools/testcluster/write-config.sh" "$config" "main-workflow-$(date +%s)"
echo "run-main: configuration $config"
# Plugins come from the build tree here; an installed hpcexec finds its own.
HPCEXEC_PLUGIN_PATH="$build_dir/plugins-out" "$build_dir/samples/simple_workflow" "$config" "$@"
