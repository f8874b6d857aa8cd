#!/usr/bin/env bash
# Builds and runs the benchmarks against the local test cluster:  tools/bench/run.sh [slurm|...] [ARGS...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
bash "$root/tools/build.sh" >/dev/null
bash "$root/tools/testcluster/start.sh" >/dev/null
# shellcheck source=/dev/null
source "${HPCEXEC_TESTCLUSTER_DIR:-/tmp/hpcexec-testcluster}/env.sh"
export HPCEXEC_PLUGIN_PATH="$build_dir/plugins-out"
which="${1:-slurm}"
shift || true
"$build_dir/tools/bench/${which}_bench" "$@"
