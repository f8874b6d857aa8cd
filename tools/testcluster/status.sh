#!/usr/bin/env bash
# Show what of the local test cluster runs. Exit 0 iff every component is healthy.
#
#   tools/testcluster/status.sh [STATE_DIR]     (default: $HPCEXEC_TESTCLUSTER_DIR or /tmp/hpcexec-testcluster)
#
# Healthy means: munged answers a munge/unmunge round trip on its socket; slurmctld answers `scontrol ping`;
# slurmd runs and the node is idle/mixed/allocated (not drained, down or not responding); both sshd speak SSH
# on their ports. It does not log in over SSH (that is what the smoke test does).
set -euo pipefail

TC_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$TC_SCRIPT_DIR/common.sh"
tc_init "${1:-}"

rc=0
line() { # name ok-command... ; prints "name: up (pid N)" or "name: DOWN"
    local name="$1" pidfile="$2"
    shift 2
    local pid
    pid="$(tc_pid_of "$pidfile")"
    if "$@"; then
        printf '  %-14s up    (pid %s)\n' "$name" "$pid"
    else
        if [[ -n "$pid" ]] && tc_pid_is_ours "$pid"; then
            printf '  %-14s UNHEALTHY (pid %s runs but does not answer)\n' "$name" "$pid"
        else
            printf '  %-14s down\n' "$name"
        fi
        rc=1
    fi
}

echo "hpcexec test cluster in $TC_DIR"
if [[ ! -d "$TC_DIR" ]]; then
    echo "  (no such directory: never started)"
    exit 1
fi
line munged "$TC_MUNGE_PID" tc_munged_ok
line slurmctld "$TC_SLURMCTLD_PID" tc_slurmctld_ok
line slurmd "$TC_SLURMD_PID" tc_slurmd_ok
tc_sshd_paths gateway
line "gateway sshd" "$SSHD_PID" tc_sshd_ok gateway
tc_sshd_paths login
line "login sshd" "$SSHD_PID" tc_sshd_ok login

if tc_slurmctld_ok; then
    echo "  node $TC_NODE: $(tc_node_state)"
    echo "  jobs (not finished): $(tc_slurm squeue --noheader --format=%i 2>/dev/null | wc -l)"
fi
mapfile -t pids < <(tc_cluster_pids)
echo "  processes of this cluster: ${#pids[@]}"
if [[ "${VERBOSE:-0}" == 1 ]]; then tc_ps "${pids[@]}"; fi
exit "$rc"
