#!/usr/bin/env bash
# Smoke test of the local test cluster (tools/testcluster): start it, run one job as root via sbatch and one as
# the test user via `ssh testlogin sbatch` through the gateway, wait for both to complete, check the gateway
# logged the forward, stop the cluster and check nothing of it is left running.
#
#   tests/testcluster/smoke_test.sh [STATE_DIR]   (default: $HPCEXEC_TESTCLUSTER_DIR or /tmp/hpcexec-testcluster)
#
# Needs root. Exit 0 on success; otherwise prints what failed and exits 1. The cluster is stopped in every case.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TC="$REPO/tools/testcluster"
# shellcheck source-path=SCRIPTDIR source=../../tools/testcluster/common.sh
source "$TC/common.sh"
tc_init "${1:-}"

fail() {
    printf 'SMOKE TEST FAILED: %s\n' "$*" >&2
    exit 1
}
T0=$EPOCHREALTIME
elapsed() { awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}'; }
step() { printf '[smoke %5ss] %s\n' "$(elapsed)" "$*"; }

stopped=0
cleanup() {
    local rc=$?
    if [[ "$stopped" == 0 ]]; then
        "$TC/stop.sh" "$TC_DIR" >/dev/null 2>&1 || true
    fi
    exit "$rc"
}
trap cleanup EXIT

# ---- start (twice: the second must be a quick no-op) ------------------------------------------------------------
step "start.sh $TC_DIR"
"$TC/start.sh" "$TC_DIR" >/dev/null || fail "start.sh failed"
step "start.sh again (already running)"
t1=$EPOCHREALTIME
"$TC/start.sh" "$TC_DIR" >/dev/null 2>&1 || fail "second start.sh failed"
awk -v a="$t1" -v b="$EPOCHREALTIME" 'BEGIN{exit !(b-a < 5)}' || fail "second start.sh took more than 5 s"
"$TC/status.sh" "$TC_DIR" >/dev/null || fail "status.sh reports unhealthy right after start"

# shellcheck source=/dev/null
source "$TC_DIR/env.sh"
for v in SLURM_CONF HPCEXEC_TC_SSH_CONFIG HPCEXEC_TC_KNOWN_HOSTS HPCEXEC_TC_KEY HPCEXEC_TC_WORK_DIR; do
    [[ -e "${!v}" ]] || fail "env.sh: $v=${!v} does not exist"
done
SSH=(ssh -n -F "$HPCEXEC_TC_SSH_CONFIG")
gw_lines_before="$(wc -l <"$HPCEXEC_TC_GATEWAY_LOG")"
tag="smoke-$$-$RANDOM"

# ---- submit ---------------------------------------------------------------------------------------------------
step "sbatch as root"
# shellcheck disable=SC2016 # $SLURM_CONF is expanded by the job
root_id="$(sbatch --parsable --job-name="$tag-root" -D "$HPCEXEC_TC_WORK_DIR" \
    -o "$HPCEXEC_TC_WORK_DIR/$tag-root.out" --wrap 'id -un; echo "conf=$SLURM_CONF"')" ||
    fail "sbatch as root failed"
[[ "$root_id" =~ ^[0-9]+$ ]] || fail "sbatch as root printed '$root_id', expected a job id"

step "sbatch as $HPCEXEC_TC_USER via ssh testlogin (through the gateway)"
user_id="$("${SSH[@]}" testlogin "sbatch --parsable --job-name=$tag-user -D '$HPCEXEC_TC_WORK_DIR' \
    -o '$HPCEXEC_TC_WORK_DIR/$tag-user.out' --wrap 'id -un; echo conf=\$SLURM_CONF'")" ||
    fail "ssh testlogin sbatch failed"
[[ "$user_id" =~ ^[0-9]+$ ]] || fail "ssh testlogin sbatch printed '$user_id', expected a job id"

# ---- wait for COMPLETED (squeue --states=all until MinJobAge purges, then sacct -c) ----------------------------
job_state() {
    local s
    s="$(squeue --noheader --states=all --format=%T --jobs="$1" 2>/dev/null || true)"
    if [[ -z "$s" ]]; then
        s="$(sacct -c --noheader --parsable2 --format=JobID,State 2>/dev/null | awk -F'|' -v j="$1" '$1==j{print $2}' | tail -n1)"
    fi
    printf '%s' "$s"
}
for id in "$root_id" "$user_id"; do
    deadline=$((SECONDS + 60))
    while :; do
        st="$(job_state "$id")"
        [[ "$st" == COMPLETED ]] && break
        case "$st" in FAILED | CANCELLED* | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
            fail "job $id ended as $st" ;;
        esac
        ((SECONDS < deadline)) || fail "job $id not COMPLETED after 60 s (state '$st')"
        sleep 0.2
    done
    step "job $id COMPLETED"
done

# ---- job output: right user, SLURM_CONF propagated ------------------------------------------------------------
check_out() { # file expected-user
    [[ -f "$1" ]] || fail "job output $1 missing"
    [[ "$(head -n1 "$1")" == "$2" ]] || fail "job output $1 says user '$(head -n1 "$1")', expected '$2'"
    grep -qxF "conf=$SLURM_CONF" "$1" || fail "job output $1 lacks conf=$SLURM_CONF: $(cat "$1")"
}
check_out "$HPCEXEC_TC_WORK_DIR/$tag-root.out" root
check_out "$HPCEXEC_TC_WORK_DIR/$tag-user.out" "$HPCEXEC_TC_USER"
# the same through sacct -c (job completion log), which is what tests use after a purge
sacct -c --noheader --parsable2 --format=JobID,State | grep -qx "$user_id|COMPLETED" ||
    fail "sacct -c does not list job $user_id as COMPLETED"
"${SSH[@]}" testlogin 'sacct -c --noheader --parsable2 --format=JobID,State' | grep -qx "$root_id|COMPLETED" ||
    fail "sacct -c as $HPCEXEC_TC_USER over ssh does not list job $root_id as COMPLETED"

# ---- the jump really went through the gateway -------------------------------------------------------------------
tail -n "+$((gw_lines_before + 1))" "$HPCEXEC_TC_GATEWAY_LOG" |
    grep -q "server_request_direct_tcpip: .* target $HPCEXEC_TC_HOST port $HPCEXEC_TC_LOGIN_PORT" ||
    fail "gateway log $HPCEXEC_TC_GATEWAY_LOG shows no forward to port $HPCEXEC_TC_LOGIN_PORT"
step "gateway log shows the forward to the login node"

# ---- negative checks: the wrong key is refused, the login node does not forward --------------------------------
# -F /dev/null: a config-free command line, so only the given key is offered
if ssh -n -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$HPCEXEC_TC_KEY_WRONG" \
    -o UserKnownHostsFile="$HPCEXEC_TC_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
    -p "$HPCEXEC_TC_LOGIN_PORT" "$HPCEXEC_TC_USER@$HPCEXEC_TC_HOST" true 2>/dev/null; then
    fail "login with the unauthorized key succeeded"
fi
for k in "$HPCEXEC_TC_KEY_ECDSA" "$HPCEXEC_TC_KEY_RSA"; do
    ssh -n -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -i "$k" \
        -o UserKnownHostsFile="$HPCEXEC_TC_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
        -p "$HPCEXEC_TC_LOGIN_PORT" "$HPCEXEC_TC_USER@$HPCEXEC_TC_HOST" true ||
        fail "login with $k failed"
done
step "wrong key refused; ecdsa and rsa keys accepted"

# ---- stop and check nothing is left -----------------------------------------------------------------------------
mapfile -t before < <(tc_cluster_pids)
for f in "$TC_MUNGE_PID" "$TC_SLURMCTLD_PID" "$TC_SLURMD_PID" "$TC_RUN_DIR/sshd-gateway.pid" "$TC_RUN_DIR/sshd-login.pid"; do
    before+=("$(tc_pid_of "$f")")
done
step "stop.sh (${#before[@]} processes to go)"
"$TC/stop.sh" "$TC_DIR" || fail "stop.sh failed"
stopped=1
alive=()
for p in "${before[@]}"; do
    [[ -n "$p" && -d "/proc/$p" && "$(awk '/^State:/{print $2}' "/proc/$p/status" 2>/dev/null)" != Z ]] && alive+=("$p")
done
((${#alive[@]} == 0)) || fail "processes left after stop.sh: $(tc_ps "${alive[@]}")"
mapfile -t left < <(tc_cluster_pids)
((${#left[@]} == 0)) || fail "processes left after stop.sh: $(tc_ps "${left[@]}")"
for port in "$TC_SLURMCTLD_PORT" "$TC_SLURMD_PORT" "$TC_GATEWAY_PORT" "$TC_LOGIN_PORT"; do
    tc_port_listening "$port" && fail "port $port still listening after stop.sh"
done
step "PASS"
