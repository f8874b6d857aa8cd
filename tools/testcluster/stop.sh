#!/usr/bin/env bash
# Stop the local test cluster started by start.sh and make sure no process of it is left.
#
#   tools/testcluster/stop.sh [STATE_DIR]     (default: $HPCEXEC_TESTCLUSTER_DIR or /tmp/hpcexec-testcluster)
#
# Order matters:
#   1. both sshd with their sessions, so nothing submits new work while we stop;
#   2. cancel every job: slurmstepd and the job processes outlive slurmd, so they must be gone first;
#   3. slurmd, then slurmctld with SIGTERM (it saves its state: job ids keep growing on the next start);
#   4. munged last (slurmctld talks to it while shutting down);
#   5. a sweep for anything of this STATE_DIR still alive (see tc_cluster_pids in common.sh), SIGTERM then SIGKILL.
# Idempotent: stopping a stopped cluster is a quick no-op. Keeps STATE_DIR (keys, state, logs); remove it by
# hand for a completely fresh cluster. Exit status 1 if some process could not be killed.
set -euo pipefail

TC_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$TC_SCRIPT_DIR/common.sh"
tc_init "${1:-}"

[[ "$(id -u)" == 0 ]] || tc_die "must run as root"
T0=$EPOCHREALTIME

if [[ -d "$TC_DIR" ]]; then
    exec 9>"$TC_DIR/.lock"
    flock -w 120 9 || tc_die "could not lock $TC_DIR/.lock"
fi

# 1. sshd listeners and all their sessions (collected before the listener dies: afterwards they are orphans)
for inst in gateway login; do
    mapfile -t all < <(tc_sshd_instance_pids "$inst")
    if ((${#all[@]} > 0)); then
        mapfile -t -O "${#all[@]}" all < <(tc_descendants "${all[@]}")
        tc_kill_pids 5 "${all[@]}" || tc_log "some $inst sshd processes survived SIGKILL"
    fi
    tc_sshd_paths "$inst"
    rm -f -- "$SSHD_PID"
done

# 2. jobs: cancel while controller and slurmd still run, so slurmstepd ends its job processes itself
if [[ -f "$TC_SLURM_CONF" ]] && tc_slurm scontrol ping 2>/dev/null | grep -q "is UP"; then
    jobs="$(tc_slurm squeue --noheader --format=%i 2>/dev/null || true)"
    if [[ -n "$jobs" ]]; then
        tc_log "cancelling $(wc -w <<<"$jobs") job(s)"
        # shellcheck disable=SC2086 # word splitting of the id list is intended
        tc_slurm scancel $jobs 2>/dev/null || true
    fi
    # Also by user, in case the list above raced with a submission.
    tc_slurm scancel --user=root 2>/dev/null || true
    tc_slurm scancel --user="$TC_USER" 2>/dev/null || true
    # Wait (KillWait=5 s, then SIGKILL) until no step daemon is left; the sweep below catches stragglers.
    for ((i = 0; i < 100; i++)); do
        steps=0
        for p in $(pgrep -x slurmstepd 2>/dev/null || true); do
            tc_pid_is_ours "$p" && steps=$((steps + 1))
        done
        ((steps == 0)) && break
        sleep 0.1
    done
fi

# 3./4. daemons in order, SIGTERM (never SIGKILL first: slurmctld loses acknowledged jobs)
tc_stop_pidfile slurmd "$TC_SLURMD_PID" TERM 15
tc_stop_pidfile slurmctld "$TC_SLURMCTLD_PID" TERM 20
tc_stop_pidfile munged "$TC_MUNGE_PID" TERM 10
rm -f -- "$TC_MUNGE_SOCKET" "$TC_MUNGE_SOCKET.lock"

# 5. sweep (also catches daemons started by hand or whose pid file was lost)
mapfile -t left < <(tc_cluster_pids)
if ((${#left[@]} > 0)); then
    tc_log "cleaning up ${#left[@]} leftover process(es):"
    tc_ps "${left[@]}" >&2
    tc_kill_pids 5 "${left[@]}" || true
fi
mapfile -t left < <(tc_cluster_pids)
if ((${#left[@]} > 0)); then
    tc_log "ERROR: processes of $TC_DIR survived:"
    tc_ps "${left[@]}" >&2
    exit 1
fi
tc_log "stopped ($TC_DIR) in $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s"
