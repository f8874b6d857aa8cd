# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables defined here are used by the scripts that source this file
# Shared settings and helpers for the local test cluster (sourced by start.sh, stop.sh, status.sh, ctl.sh and
# tests/testcluster/*.sh). Every port, path and name of the test cluster is defined here and nowhere else.
#
# The cluster: munged + slurmctld + slurmd (one node "localhost") + two sshd on loopback (a gateway/jump host
# and a login node), all started without systemd, all state under one STATE_DIR, so several checkouts can
# share a machine as long as only one cluster runs at a time (the ports are fixed).
#
# Usage: source this file after setting the positional STATE_DIR argument, e.g.
#   source "$(dirname "${BASH_SOURCE[0]}")/common.sh"; tc_init "${1:-}"

# ---------------------------------------------------------------------------------------------------------------
# Fixed settings (the "one place" for ports and names). Each can be overridden from the environment, but the
# defaults are what the tests expect.
# ---------------------------------------------------------------------------------------------------------------
TC_DEFAULT_DIR=/tmp/hpcexec-testcluster
TC_USER="${HPCEXEC_TESTCLUSTER_USER:-hpcuser}"           # the only account that logs in over SSH
TC_HOST=127.0.0.1                                         # everything listens on / talks to loopback only
TC_GATEWAY_PORT="${HPCEXEC_TESTCLUSTER_GATEWAY_PORT:-2222}"  # jump host, AllowTcpForwarding yes
TC_LOGIN_PORT="${HPCEXEC_TESTCLUSTER_LOGIN_PORT:-2223}"      # login node (reached through the gateway)
# Non-default Slurm ports so a system Slurm (6817/6818) or another test setup does not clash.
TC_SLURMCTLD_PORT="${HPCEXEC_TESTCLUSTER_SLURMCTLD_PORT:-16817}"
TC_SLURMD_PORT="${HPCEXEC_TESTCLUSTER_SLURMD_PORT:-16818}"
TC_NODE=localhost                                         # slurm node name (slurmd -N localhost)
TC_PARTITION=debug
TC_NODE_CPUS=16            # declared, not real: lets ~16 jobs start per scheduler beat on a 2-core machine
TC_NODE_MEM_MB=16384       # declared so jobs asking --mem=... are not rejected (memory is not a consumable here)
TC_MINJOBAGE="${HPCEXEC_TESTCLUSTER_MINJOBAGE:-30}"       # seconds a finished job stays visible in squeue
TC_MESSAGE_TIMEOUT=5       # short: clients give up ~4 s after the controller dies, so outage tests are quick
TC_START_TIMEOUT="${HPCEXEC_TESTCLUSTER_TIMEOUT:-30}"     # seconds to wait for each component to become healthy

TC_SSHD=/usr/sbin/sshd     # sshd refuses to start by relative path (it re-execs itself)
TC_SSH_KEY_TYPES=(ed25519 ecdsa rsa)

# ---------------------------------------------------------------------------------------------------------------
# Paths derived from STATE_DIR (set by tc_init).
# ---------------------------------------------------------------------------------------------------------------
tc_init() {
    local arg="${1:-}"
    TC_DIR="${arg:-${HPCEXEC_TESTCLUSTER_DIR:-$TC_DEFAULT_DIR}}"
    # Absolute, without trailing slash: the path ends up in config files, process environments and
    # pgrep patterns, which all need one spelling.
    case "$TC_DIR" in /*) ;; *) TC_DIR="$PWD/$TC_DIR" ;; esac
    TC_DIR="${TC_DIR%/}"

    TC_ENV_SH="$TC_DIR/env.sh"
    TC_LOG_DIR="$TC_DIR/log"
    TC_RUN_DIR="$TC_DIR/run"                   # pid files

    TC_MUNGE_DIR="$TC_DIR/munge"               # must be 0755 all the way up (munged checks the socket dir)
    TC_MUNGE_KEY="$TC_MUNGE_DIR/munge.key"
    TC_MUNGE_SOCKET="$TC_MUNGE_DIR/munge.socket"
    TC_MUNGE_SEED="$TC_MUNGE_DIR/munged.seed"
    TC_MUNGE_PID="$TC_RUN_DIR/munged.pid"
    TC_MUNGE_LOG="$TC_LOG_DIR/munged.log"

    TC_SLURM_CONF="$TC_DIR/slurm.conf"
    TC_SLURM_STATE="$TC_DIR/slurm/ctld"        # StateSaveLocation: kept across restarts (job ids keep growing)
    TC_SLURMD_SPOOL="$TC_DIR/slurm/d"          # SlurmdSpoolDir
    TC_SLURMCTLD_PID="$TC_RUN_DIR/slurmctld.pid"
    TC_SLURMD_PID="$TC_RUN_DIR/slurmd.pid"
    TC_SLURMCTLD_LOG="$TC_LOG_DIR/slurmctld.log"
    TC_SLURMD_LOG="$TC_LOG_DIR/slurmd.log"
    TC_JOBCOMP="$TC_DIR/slurm/jobcomp.txt"     # JobCompLoc: `sacct -c` reads it, also after MinJobAge purge

    TC_KEYS_DIR="$TC_DIR/keys"                 # client keys of $TC_USER, owned by root, 0600 (tests run as root)
    TC_KEY="$TC_KEYS_DIR/id_ed25519"           # the main key
    TC_KEY_ECDSA="$TC_KEYS_DIR/id_ecdsa"
    TC_KEY_RSA="$TC_KEYS_DIR/id_rsa"           # authorized, but libssh2 1.10 cannot use it (negative test)
    TC_KEY_WRONG="$TC_KEYS_DIR/id_ed25519_wrong"  # NOT authorized (negative test)
    TC_AUTH_KEYS_DIR="$TC_DIR/authorized_keys" # AuthorizedKeysFile $TC_AUTH_KEYS_DIR/%u
    TC_KNOWN_HOSTS="$TC_DIR/known_hosts"
    TC_SSH_CONFIG="$TC_DIR/ssh_config"

    TC_WORK_DIR="$TC_DIR/work"                 # writable by root and $TC_USER (mode 0777)

    # Marker put into the environment of every daemon we start. Children inherit it (slurmstepd, sshd session
    # processes), so stop.sh can find them even after the listener/parent is gone or has renamed itself
    # (sshd session processes show up as "sshd: hpcuser@notty", without the STATE_DIR in their command line).
    TC_MARKER="HPCEXEC_TESTCLUSTER_DAEMON=$TC_DIR"
}

# sshd instance paths: tc_sshd_paths gateway|login sets SSHD_NAME SSHD_PORT SSHD_DIR SSHD_CONF SSHD_PID SSHD_LOG
tc_sshd_paths() {
    SSHD_NAME="$1"
    case "$1" in
        gateway) SSHD_PORT="$TC_GATEWAY_PORT" ;;
        login) SSHD_PORT="$TC_LOGIN_PORT" ;;
        *) tc_die "unknown sshd instance '$1' (gateway|login)" ;;
    esac
    SSHD_DIR="$TC_DIR/sshd/$1"
    SSHD_CONF="$SSHD_DIR/sshd_config"
    SSHD_PID="$TC_RUN_DIR/sshd-$1.pid"
    SSHD_LOG="$TC_LOG_DIR/sshd-$1.log"
}

# ---------------------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------------------
tc_log() { printf '[testcluster] %s\n' "$*" >&2; }
tc_die() { printf '[testcluster] ERROR: %s\n' "$*" >&2; exit 1; }

# Print the last lines of a log file to stderr (used when something does not come up).
tc_tail() {
    local f="$1" n="${2:-25}"
    if [[ -s "$f" ]]; then
        printf -- '----- last %s lines of %s -----\n' "$n" "$f" >&2
        tail -n "$n" -- "$f" >&2 || true
        printf -- '-----\n' >&2
    else
        printf -- '(log %s is empty or missing)\n' "$f" >&2
    fi
}

# Slurm commands need SLURM_CONF; without it they go "configless" and try DNS SRV lookups.
tc_slurm() { SLURM_CONF="$TC_SLURM_CONF" "$@"; }

# pid from a pid file, or empty
tc_pid_of() {
    local f="$1" p=""
    if [[ -r "$f" ]]; then read -r p <"$f" 2>/dev/null || true; fi
    [[ "$p" =~ ^[0-9]+$ ]] && printf '%s' "$p"
    return 0
}

# True if the pid file names a live process that carries our marker (so a stale pid file whose pid was reused
# by an unrelated process is not mistaken for our daemon).
tc_pidfile_alive() {
    local p
    p="$(tc_pid_of "$1")"
    [[ -n "$p" ]] && tc_pid_is_ours "$p"
}

tc_pid_is_ours() {
    local p="$1"
    [[ -d "/proc/$p" ]] || return 1
    # /proc/PID/environ is NUL separated; grep -z treats NUL as the line separator.
    grep -qzxF -- "$TC_MARKER" "/proc/$p/environ" 2>/dev/null && return 0
    # sshd rewrites its process title over argv AND environ (setproctitle), which wipes the marker; its
    # listener's title still contains the config path, though.
    grep -qaF -- "$TC_DIR/" "/proc/$p/cmdline" 2>/dev/null
}

# Wait until a pid is gone, up to $2 seconds (fractions ok). Returns 1 on timeout.
tc_wait_pid_gone() {
    local p="$1" t="${2:-10}" i n
    n="$(awk -v t="$t" 'BEGIN{print int(t*20)}')"
    for ((i = 0; i < n; i++)); do
        tc_pid_running "$p" || return 0
        sleep 0.05
    done
    ! tc_pid_running "$p"
}

# Poll a command until it succeeds, up to $1 seconds, every 0.1 s.
tc_wait_for() {
    local t="$1"
    shift
    local deadline=$((SECONDS + t))
    while ((SECONDS <= deadline)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    "$@" >/dev/null 2>&1
}

# True if something speaks SSH on 127.0.0.1:$1 (reads the server banner; no authentication attempted).
tc_ssh_banner_ok() {
    # shellcheck disable=SC2016 # $0/$1 are expanded by the inner bash
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        IFS= read -r -t 2 line <&3 || exit 1
        exec 3<&-
        [[ "$line" == SSH-2.0-* ]]' "$TC_HOST" "$1" 2>/dev/null
}

# True if a TCP port on loopback is listening (by anyone).
tc_port_listening() {
    ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# Send a signal to a daemon from its pid file and wait for it to exit. $1 name, $2 pid file, $3 signal,
# $4 timeout. Escalates to SIGKILL after the timeout (and says so).
tc_stop_pidfile() {
    local name="$1" pidfile="$2" sig="${3:-TERM}" t="${4:-15}" p
    p="$(tc_pid_of "$pidfile")"
    if [[ -n "$p" ]] && tc_pid_is_ours "$p"; then
        kill "-$sig" "$p" 2>/dev/null || true
        if ! tc_wait_pid_gone "$p" "$t"; then
            tc_log "$name (pid $p) still alive after ${t}s of SIG$sig; sending SIGKILL"
            kill -KILL "$p" 2>/dev/null || true
            tc_wait_pid_gone "$p" 5 || tc_log "$name (pid $p) survived SIGKILL"
        fi
    fi
    rm -f -- "$pidfile"
}

# Process table from /proc/*/stat, with builtins only: a fork costs 25-50 ms on this kind of VM, so the scans
# below must not run one command per process. Fills TC_PPID[pid] and TC_PSTATE[pid] (R, S, Z, ...).
declare -gA TC_PPID=() TC_PSTATE=()
tc_proc_scan() {
    TC_PPID=()
    TC_PSTATE=()
    local f line rest pid
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        pid="${line%% *}"
        rest="${line##*) }" # after "(comm) "; comm may contain spaces and parentheses
        TC_PSTATE[$pid]="${rest%% *}"
        rest="${rest#* }"
        TC_PPID[$pid]="${rest%% *}"
    done
}

# Descendants (children, grandchildren, ...) of the given pids, one per line. Uses a fresh process table.
tc_descendants() {
    tc_proc_scan
    local -A roots=()
    local r p q depth
    for r in "$@"; do roots[$r]=1; done
    for p in "${!TC_PPID[@]}"; do
        q="${TC_PPID[$p]}"
        depth=0
        while [[ -n "$q" && "$q" != 0 && "$q" != 1 ]] && ((depth < 64)); do
            if [[ -n "${roots[$q]:-}" ]]; then
                printf '%s\n' "$p"
                break
            fi
            q="${TC_PPID[$q]:-}"
            depth=$((depth + 1))
        done
    done
}

# ---------------------------------------------------------------------------------------------------------------
# Health checks (used by start.sh, status.sh, ctl.sh). Each is quiet and returns 0 iff healthy.
# ---------------------------------------------------------------------------------------------------------------
tc_munged_ok() {
    tc_pidfile_alive "$TC_MUNGE_PID" || return 1
    # A round trip through the daemon: proves the socket is there and the key works.
    munge -n -S "$TC_MUNGE_SOCKET" 2>/dev/null | unmunge -S "$TC_MUNGE_SOCKET" >/dev/null 2>&1
}

tc_slurmctld_ok() {
    tc_pidfile_alive "$TC_SLURMCTLD_PID" || return 1
    tc_slurm scontrol ping 2>/dev/null | grep -q 'is UP'
}

# The node's state as sinfo prints it (%T: idle, mixed, allocated, drained, down*, ...), or empty.
tc_node_state() {
    tc_slurm sinfo --noheader --Node --nodes="$TC_NODE" --format='%T' 2>/dev/null | head -n1 | tr -d ' '
}

# slurmd is healthy when it runs and the controller sees the node usable (a trailing * means "not
# responding"; drain/down/fail mean jobs will not start).
tc_slurmd_ok() {
    tc_pidfile_alive "$TC_SLURMD_PID" || return 1
    case "$(tc_node_state)" in
        idle | mixed | allocated | completing) return 0 ;;
        *) return 1 ;;
    esac
}

tc_sshd_ok() {
    tc_sshd_paths "$1"
    tc_pidfile_alive "$SSHD_PID" && tc_ssh_banner_ok "$SSHD_PORT"
}

tc_all_ok() {
    tc_munged_ok && tc_slurmctld_ok && tc_slurmd_ok && tc_sshd_ok gateway && tc_sshd_ok login
}

# ---------------------------------------------------------------------------------------------------------------
# Finding every process that belongs to this cluster (stop.sh, ctl.sh, the smoke test).
# Pid files alone are not enough: slurmstepd outlives slurmd, sshd session processes outlive their listener,
# and sshd overwrites its environment with its process title. So a process is "ours" when:
#   - it is a cluster daemon (munged slurmctld slurmscriptd slurmd slurmstepd sshd) and carries the marker in its
#     environment, has STATE_DIR in its command line, or has a file under STATE_DIR open (sshd sessions keep
#     their -E log file open; slurmstepd its slurmd log);
#   - or it is a job process (SLURM_JOB_ID set and SLURM_CONF pointing to our slurm.conf);
#   - or it runs as $TC_USER with our SLURM_CONF (left over from an SSH session);
#   - or it descends from one of the sshd processes above.
# The calling shell and its ancestors are never included.
# ---------------------------------------------------------------------------------------------------------------
TC_DAEMON_COMMS='munged slurmctld slurmscriptd slurmd slurmstepd sshd'

declare -gA TC_SKIP_PIDS=()
tc_compute_skip() { # this shell, its subshell and all their ancestors
    local p=$$ line rest
    TC_SKIP_PIDS=([$BASHPID]=1)
    while [[ -n "$p" && "$p" != 0 && "$p" != 1 ]]; do
        TC_SKIP_PIDS[$p]=1
        { read -r line <"/proc/$p/stat"; } 2>/dev/null || break
        rest="${line##*) }"
        rest="${rest#* }"
        p="${rest%% *}"
    done
}

# True if /proc/PID/environ has a variable starting with $2 (e.g. "SLURM_JOB_ID="). Builtins only.
tc_env_has_prefix() {
    local -a env=()
    { mapfile -d '' -t env <"/proc/$1/environ"; } 2>/dev/null || return 1
    local e
    for e in "${env[@]}"; do [[ "$e" == "$2"* ]] && return 0; done
    return 1
}

# True if process $1 runs as uid $2 (builtins only)
tc_uid_is() {
    local k v
    { while read -r k v _; do
        [[ "$k" == Uid: ]] && { [[ "$v" == "$2" ]]; return; }
    done <"/proc/$1/status"; } 2>/dev/null
    return 1
}

# Sets TC_COMM to the process name of pid $1 (empty if gone). Builtins only, no $(...): runs per process.
tc_read_comm() {
    TC_COMM=""
    { read -r TC_COMM <"/proc/$1/comm"; } 2>/dev/null || true
}

# True if the pid exists and is not a zombie (a zombie's parent, not us, must reap it; pid 1 here reaps late).
tc_pid_running() {
    local st=""
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st="${st##*) }" # the field after "(comm)"; comm may contain spaces and parentheses
    [[ "${st%% *}" != Z ]]
}

# sshd processes (listener and every session process) of one instance: gateway|login
tc_sshd_instance_pids() {
    tc_sshd_paths "$1"
    local p
    for p in $(
        {
            find /proc/[0-9]*/fd -maxdepth 1 -lname "$SSHD_LOG" # sessions keep the -E log open
            grep -laF -- "-f $SSHD_CONF " /proc/[0-9]*/cmdline # the listener's title
        } 2>/dev/null | cut -d/ -f3 | sort -un
    ); do
        tc_read_comm "$p"
        [[ "$TC_COMM" == sshd ]] && printf '%s\n' "$p"
    done
    return 0
}

tc_cluster_pids() {
    tc_compute_skip
    local p uid c
    uid="$(id -u "$TC_USER" 2>/dev/null || echo none)"
    local -A out=()
    local sshds=()
    # daemons: one grep/find each over all processes, then a builtin filter by name
    for p in $(
        {
            grep -lzxF -- "$TC_MARKER" /proc/[0-9]*/environ
            grep -laF -- "$TC_DIR/" /proc/[0-9]*/cmdline
            find /proc/[0-9]*/fd -maxdepth 1 -lname "$TC_DIR/*"
        } 2>/dev/null | cut -d/ -f3 | sort -un
    ); do
        tc_read_comm "$p"
        c="$TC_COMM"
        if [[ -n "$c" && " $TC_DAEMON_COMMS " == *" $c "* ]]; then
            out[$p]=1
            [[ "$c" == sshd ]] && sshds+=("$p")
        fi
    done
    # job processes (SLURM_JOB_ID) and $TC_USER's leftovers, among those with our SLURM_CONF
    # shellcheck disable=SC2013 # pids: words are lines here
    for p in $(grep -lzxF -- "SLURM_CONF=$TC_SLURM_CONF" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3); do
        if tc_env_has_prefix "$p" SLURM_JOB_ID= || tc_uid_is "$p" "$uid"; then
            out[$p]=1
        fi
    done
    # whatever runs under our sshd sessions (a shell, a `sleep` started over ssh...); also fills TC_PSTATE
    if ((${#sshds[@]} > 0)); then
        for p in $(tc_descendants "${sshds[@]}"); do out[$p]=1; done
    fi
    tc_proc_scan
    for p in "${!out[@]}"; do
        [[ -n "${TC_SKIP_PIDS[$p]:-}" ]] && continue
        # gone or zombie: done for our purposes (pid 1 here reaps orphans only now and then)
        [[ -n "${TC_PSTATE[$p]:-}" && "${TC_PSTATE[$p]}" != Z ]] || continue
        printf '%s\n' "$p"
    done | sort -n
}

# SIGTERM a list of pids, wait up to $1 s, then SIGKILL what is left. Returns 1 if something survives.
tc_kill_pids() {
    local t="$1"
    shift
    (($# > 0)) || return 0
    kill -TERM "$@" 2>/dev/null || true
    local deadline p left i
    deadline=$(awk -v t="$t" 'BEGIN{print int(t*10)}')
    for ((i = 0; i < deadline; i++)); do
        left=()
        for p in "$@"; do
            tc_pid_running "$p" && left+=("$p")
        done
        ((${#left[@]} == 0)) && return 0
        sleep 0.1
    done
    kill -KILL "${left[@]}" 2>/dev/null || true
    sleep 0.2
    for p in "${left[@]}"; do
        tc_pid_running "$p" && return 1
    done
    return 0
}

# Describe pids for error messages.
tc_ps() {
    (($# > 0)) || return 0
    ps -o pid=,ppid=,user=,comm=,args= -p "$(IFS=,; echo "$*")" 2>/dev/null || true
}
