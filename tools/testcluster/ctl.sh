#!/usr/bin/env bash
# Fault injection for tests: stop and start single parts of the running test cluster.
#
#   tools/testcluster/ctl.sh COMMAND [STATE_DIR]   (default: $HPCEXEC_TESTCLUSTER_DIR or /tmp/hpcexec-testcluster)
#
# Commands (each returns when the change is complete; start-* waits until the part is healthy):
#   stop-slurmctld        SIGTERM the controller and wait until it exited. Jobs keep running on slurmd; the
#                         controller saves its state, so start-slurmctld brings every job back. (Never SIGKILL:
#                         that loses acknowledged jobs and reuses their ids.) Clients then fail after
#                         MessageTimeout-1 s: squeue rc 1, scancel rc 8, "Unable to contact slurm controller".
#   start-slurmctld       start it again and wait for `scontrol ping` and a usable node.
#   stop-slurmd / start-slurmd      the node daemon (running jobs' slurmstepd survive a stop).
#   stop-munged / start-munged      the auth daemon (every Slurm command fails while it is down).
#   stop-login-sshd       SIGTERM the login node's sshd listener only: new connections are refused, established
#                         sessions and their commands go on (sshd sessions are separate processes).
#   start-login-sshd      start the listener again.
#   kill-login-sshd-all   kill the listener AND every session process of it (and what they run): established
#                         connections drop at once, as when a login node dies.
#   stop-gateway-sshd / start-gateway-sshd / kill-gateway-sshd-all   the same for the gateway (jump host).
#   resume-node           `scontrol update nodename=localhost state=resume` (after a drain).
#   status                same as status.sh.
set -euo pipefail

TC_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$TC_SCRIPT_DIR/common.sh"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
cmd="$1"
tc_init "${2:-}"
# shellcheck source-path=SCRIPTDIR source=lib_start.sh
source "$TC_SCRIPT_DIR/lib_start.sh"

[[ "$(id -u)" == 0 ]] || tc_die "must run as root"
[[ -f "$TC_SLURM_CONF" ]] || tc_die "no cluster in $TC_DIR (run start.sh first)"

# The same lock as start.sh/stop.sh, so a fault injection never interleaves with a start or stop.
exec 9>"$TC_DIR/.lock"
flock -w 120 9 || tc_die "could not lock $TC_DIR/.lock"

# Kill an sshd instance: listener only (sessions survive) or everything.
sshd_stop() {
    local inst="$1" all="$2"
    tc_sshd_paths "$inst"
    if [[ "$all" == 1 ]]; then
        local pids=()
        # sessions are found by the sshd log file they keep open, also when their listener is already gone;
        # their children (the user's commands) by descent
        mapfile -t pids < <(tc_sshd_instance_pids "$inst")
        if ((${#pids[@]} > 0)); then
            mapfile -t -O "${#pids[@]}" pids < <(tc_descendants "${pids[@]}")
        fi
        # SIGKILL right away: a dying machine does not close connections politely
        if ((${#pids[@]} > 0)); then
            kill -KILL "${pids[@]}" 2>/dev/null || true
            tc_kill_pids 5 "${pids[@]}" || tc_die "some $inst sshd processes survived"
        fi
        rm -f -- "$SSHD_PID"
    else
        tc_stop_pidfile "$inst sshd" "$SSHD_PID" TERM 10
    fi
    # The port must be free when we return, so a test's next connection attempt is refused, not accepted.
    tc_wait_for 5 bash -c "! ss -Htln 'sport = :$SSHD_PORT' | grep -q ." ||
        tc_die "$inst sshd port $SSHD_PORT still listening"
}

case "$cmd" in
    stop-slurmctld) tc_stop_pidfile slurmctld "$TC_SLURMCTLD_PID" TERM 20 ;;
    start-slurmctld)
        tc_start_munged
        tc_start_slurmctld
        if tc_pidfile_alive "$TC_SLURMD_PID"; then tc_slurmd_wait_healthy; fi
        ;;
    stop-slurmd) tc_stop_pidfile slurmd "$TC_SLURMD_PID" TERM 15 ;;
    start-slurmd) tc_start_slurmd ;;
    stop-munged)
        tc_stop_pidfile munged "$TC_MUNGE_PID" TERM 10
        rm -f -- "$TC_MUNGE_SOCKET" "$TC_MUNGE_SOCKET.lock"
        ;;
    start-munged) tc_start_munged ;;
    stop-login-sshd) sshd_stop login 0 ;;
    stop-gateway-sshd) sshd_stop gateway 0 ;;
    kill-login-sshd-all) sshd_stop login 1 ;;
    kill-gateway-sshd-all) sshd_stop gateway 1 ;;
    start-login-sshd) tc_start_sshd login ;;
    start-gateway-sshd) tc_start_sshd gateway ;;
    resume-node) tc_slurm scontrol update nodename="$TC_NODE" state=resume ;;
    status) exec 9>&- && exec "$TC_SCRIPT_DIR/status.sh" "$TC_DIR" ;;
    -h | --help | help) usage ;;
    *) tc_log "unknown command '$cmd'"; usage ;;
esac
