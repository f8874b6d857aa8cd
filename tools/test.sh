#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs the dependencies, builds, fuzzes the pickle reader for a minute,
# starts the local test cluster (munge, slurmctld, slurmd, two sshd on loopback), runs every test with ctest, and
# stops the cluster again.
#
#   tools/test.sh [CTEST ARGS...]     e.g. tools/test.sh -L framework
#   HPCEXEC_SKIP_FUZZ=1 skips fuzzing; FUZZ_SECONDS=N changes its length.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"

bash "$root/tools/install-deps.sh"
start=$(date +%s)
bash "$root/tools/build.sh"
echo "test: build took $(( $(date +%s) - start )) s"

# The pickle reader reads hostile bytes: fuzz it on every run; any finding fails the run.
fuzz_status=0
if [[ -z "${HPCEXEC_SKIP_FUZZ:-}" ]]; then
  FUZZ_BUILD_DIR="$build_dir/fuzz" bash "$root/tools/fuzz/run.sh" "${FUZZ_SECONDS:-60}" > "$build_dir/fuzz.log" 2>&1 ||
    fuzz_status=$?
  grep -E "^stat::|Done [0-9]+ runs|ERROR|SUMMARY" "$build_dir/fuzz.log" || true
  if ((fuzz_status == 0)); then echo "test: fuzzing the pickle reader: no finding"
  else echo "test: fuzzing the pickle reader: FINDING (exit $fuzz_status), see $build_dir/fuzz.log"; tail -n 40 "$build_dir/fuzz.log"; fi
fi

bash "$root/tools/testcluster/start.sh"
trap 'bash "$root/tools/testcluster/stop.sh" || true' EXIT

start=$(date +%s)
set +e
ctest --test-dir "$build_dir" --output-on-failure -j"${TEST_JOBS:-2}" "$@" 2>&1 | tee "$build_dir/ctest.log"
ctest_status=${PIPESTATUS[0]}
set -e
echo "test: ctest took $(( $(date +%s) - start )) s"
bash "$root/tools/testcluster/stop.sh" || true
trap - EXIT

# One plain closing line: "N passed, N failed" (ctest's own summary is above).
summary=$(grep -E "tests passed, [0-9]+ tests failed out of [0-9]+" "$build_dir/ctest.log" | tail -n 1 || true)
if [[ $summary =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
  failed=${BASH_REMATCH[1]}
  total=${BASH_REMATCH[2]}
  echo "$(( total - failed )) passed, $failed failed"
fi
if ((ctest_status != 0)); then exit "$ctest_status"; fi
exit "$fuzz_status"
