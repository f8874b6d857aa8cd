#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the dependencies, builds, starts the local test cluster
# (munge, slurmctld, slurmd, two sshd on loopback), runs every test with ctest, and stops the cluster again.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"

bash "$root/tools/install-deps.sh"
start=$(date +%s)
bash "$root/tools/build.sh"
echo "test: build took $(( $(date +%s) - start )) s"

cluster_started=0
if [[ -x "$root/tools/testcluster/start.sh" ]]; then
  bash "$root/tools/testcluster/start.sh"
  cluster_started=1
fi
stop_cluster() { if ((cluster_started)); then bash "$root/tools/testcluster/stop.sh" || true; fi; }
trap stop_cluster EXIT

start=$(date +%s)
ctest --test-dir "$build_dir" --output-on-failure -j"${TEST_JOBS:-2}" "$@"
echo "test: ctest took $(( $(date +%s) - start )) s"
