# shellcheck shell=bash
# Functions that prepare and start the test cluster's parts. Sourced by start.sh and ctl.sh after common.sh
# and tc_init. Not meant to be run directly.

# A clean, fixed environment for every daemon: the caller's environment (CI variables, a test's SLURM_* or
# LD_PRELOAD...) must not leak into slurmd and from there into jobs. The marker lets stop.sh find every
# process that descends from our daemons, even after they renamed themselves.
tc_daemon_env() {
    env -i \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root LANG=C.UTF-8 \
        SLURM_CONF="$TC_SLURM_CONF" \
        "$TC_MARKER" \
        "$@" 9>&-
    # 9>&-: the start/stop lock (fd 9) must not be inherited, or the daemon would hold it forever
}

tc_check_prereqs() {
    [[ "$(id -u)" == 0 ]] || tc_die "must run as root (munged/slurmd/sshd need it)"
    local b
    for b in munged mungekey munge unmunge slurmctld slurmd sbatch squeue scontrol sinfo scancel \
        ssh ssh-keygen useradd usermod ss; do
        command -v "$b" >/dev/null 2>&1 || tc_die "'$b' not found: install slurmctld slurmd slurm-client munge openssh-server openssh-client"
    done
    [[ -x "$TC_SSHD" ]] || tc_die "$TC_SSHD not found: install openssh-server"
    # Unix socket paths are limited to 108 bytes; munged's socket lives inside STATE_DIR.
    ((${#TC_MUNGE_SOCKET} < 100)) || tc_die "STATE_DIR path too long for a unix socket: $TC_MUNGE_SOCKET"
    case "$TC_DIR" in *[[:space:]]* | *\'* | *\"* | *\\*)
        tc_die "STATE_DIR must not contain spaces or quotes (it ends up in slurm.conf/sshd_config): $TC_DIR" ;;
    esac
}

# Every directory above STATE_DIR must be searchable by others: munged refuses a socket dir with a parent
# lacking o+x, and jobs running as $TC_USER need to reach the work dir and slurm.conf.
tc_check_parent_dirs() {
    local d="$TC_DIR" mode
    while [[ "$d" != / ]]; do
        d="$(dirname "$d")"
        mode="$(stat -c '%a' "$d")"
        (((8#$mode & 1) == 1)) || tc_die "directory $d (mode $mode) is not searchable by others (o+x); $TC_USER and munged need it. Use a STATE_DIR under /tmp."
    done
}

# Write $2 (content from a temp file $1) to $2 atomically if it differs. Returns 0 if the file changed.
tc_install_if_changed() {
    local tmp="$1" dest="$2" mode="${3:-644}"
    if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest"; then
        rm -f -- "$tmp"
        return 1
    fi
    chmod "$mode" "$tmp"
    mv -f -- "$tmp" "$dest"
    return 0
}

tc_make_dirs() {
    mkdir -p -- "$TC_DIR"
    # mktemp -d makes 0700 dirs; 0755 so $TC_USER's jobs and ssh sessions can reach slurm.conf and the socket.
    chmod 755 "$TC_DIR"
    install -d -m 755 "$TC_LOG_DIR" "$TC_RUN_DIR" "$TC_MUNGE_DIR" "$TC_DIR/slurm" "$TC_SLURM_STATE" \
        "$TC_SLURMD_SPOOL" "$TC_KEYS_DIR" "$TC_AUTH_KEYS_DIR" "$TC_DIR/sshd" "$TC_DIR/sshd/gateway" \
        "$TC_DIR/sshd/login"
    # sshd's privilege separation directory; normally created by systemd's tmpfiles.
    install -d -m 755 /run/sshd
}

tc_ensure_user() {
    if ! id -u "$TC_USER" >/dev/null 2>&1; then
        tc_log "creating user $TC_USER"
        useradd -m -s /bin/bash -c "hpcexec test cluster user" "$TC_USER"
    fi
    # useradd leaves the account locked ("!" in /etc/shadow) and sshd refuses locked accounts even for
    # public-key logins. '*' = no password can match, but not locked.
    local pw
    pw="$(getent shadow "$TC_USER" | cut -d: -f2)"
    if [[ "$pw" != '*' ]]; then
        usermod -p '*' "$TC_USER"
    fi
    # For shells that do not come through our sshd (su - hpcuser): SLURM_CONF from ~/.profile. Rewritten on
    # every start because STATE_DIR may differ from the last run.
    local home profile tmp
    home="$(getent passwd "$TC_USER" | cut -d: -f6)"
    profile="$home/.profile"
    tmp="$(mktemp)"
    if [[ -f "$profile" ]]; then
        sed '/^# >>> hpcexec-testcluster >>>$/,/^# <<< hpcexec-testcluster <<<$/d' "$profile" >"$tmp"
    fi
    {
        echo '# >>> hpcexec-testcluster >>>'
        echo '# written by tools/testcluster/start.sh: Slurm clients need SLURM_CONF (no /etc/slurm/slurm.conf)'
        echo "export SLURM_CONF='$TC_SLURM_CONF'"
        echo '# <<< hpcexec-testcluster <<<'
    } >>"$tmp"
    if ! cmp -s "$tmp" "$profile" 2>/dev/null; then
        cat "$tmp" >"$profile" # keep owner and mode of the existing file
        chown "$TC_USER:" "$profile"
    fi
    rm -f -- "$tmp"
    # Work dir shared by root-submitted and $TC_USER jobs. 0777 without sticky bit so either side can also
    # remove what the other created at the top level.
    install -d -o "$TC_USER" -g "$(id -gn "$TC_USER")" -m 777 "$TC_WORK_DIR"
    chmod 777 "$TC_WORK_DIR" # install -d does not change the mode of an existing dir on all versions
    # Job completion log: every process that loads jobcomp/filetxt, `sacct -c` included, opens it for
    # appending ("sacct: fatal: open ...: Permission denied" otherwise), and slurmctld resets its mode to 0644.
    # Owned by $TC_USER, it stays writable for $TC_USER's `sacct -c` over SSH; root writes anyway.
    [[ -e "$TC_JOBCOMP" ]] || : >"$TC_JOBCOMP"
    chown "$TC_USER:" "$TC_JOBCOMP"
}

tc_keygen() { # type file comment
    [[ -f "$2" && -f "$2.pub" ]] && return 0
    rm -f -- "$2" "$2.pub"
    ssh-keygen -q -t "$1" -N '' -C "$3" -f "$2" >/dev/null
    chmod 600 "$2"
    chmod 644 "$2.pub"
}

# Keys are made once and kept, so known_hosts and authorized_keys stay valid across restarts.
tc_ensure_keys() {
    local t inst
    # munge key: root-only (munged refuses a key readable by others)
    if [[ ! -s "$TC_MUNGE_KEY" ]]; then
        mungekey -c -k "$TC_MUNGE_KEY"
    fi
    chown root:root "$TC_MUNGE_KEY"
    chmod 600 "$TC_MUNGE_KEY"

    # host keys, every type per sshd: libssh2 1.10 negotiates ECDSA first, OpenSSH ed25519; RSA for completeness
    for inst in gateway login; do
        for t in "${TC_SSH_KEY_TYPES[@]}"; do
            tc_keygen "$t" "$TC_DIR/sshd/$inst/ssh_host_${t}_key" "hpcexec-testcluster-$inst-host"
        done
    done

    # client keys of $TC_USER, owned by root (the tests run as root), 0600 (ssh refuses group/other-readable keys)
    tc_keygen ed25519 "$TC_KEY" "$TC_USER@hpcexec-testcluster"
    tc_keygen ecdsa "$TC_KEY_ECDSA" "$TC_USER-ecdsa@hpcexec-testcluster"
    tc_keygen rsa "$TC_KEY_RSA" "$TC_USER-rsa@hpcexec-testcluster"
    tc_keygen ed25519 "$TC_KEY_WRONG" "unauthorized@hpcexec-testcluster"

    # authorized_keys: read by sshd after dropping to $TC_USER, hence world-readable. The wrong key is left out
    # on purpose.
    local tmp
    tmp="$(mktemp)"
    cat "$TC_KEY.pub" "$TC_KEY_ECDSA.pub" "$TC_KEY_RSA.pub" >"$tmp"
    tc_install_if_changed "$tmp" "$TC_AUTH_KEYS_DIR/$TC_USER" 644 || true

    # known_hosts for both spellings a test may use (127.0.0.1 and localhost), all key types
    tmp="$(mktemp)"
    local port host pub
    for inst in gateway login; do
        tc_sshd_paths "$inst"
        port="$SSHD_PORT"
        for host in "$TC_HOST" localhost; do
            for t in "${TC_SSH_KEY_TYPES[@]}"; do
                pub="$TC_DIR/sshd/$inst/ssh_host_${t}_key.pub"
                # .pub is "type base64 comment": drop the comment
                printf '[%s]:%s %s\n' "$host" "$port" "$(cut -d' ' -f1,2 "$pub")" >>"$tmp"
            done
        done
    done
    tc_install_if_changed "$tmp" "$TC_KNOWN_HOSTS" 644 || true
}

tc_write_ssh_config() {
    local tmp
    tmp="$(mktemp)"
    cat >"$tmp" <<EOF
# Generated by tools/testcluster/start.sh. Use: ssh -F $TC_SSH_CONFIG testlogin 'squeue'
# testgw: the gateway (jump host); testlogin: the login node through the gateway; testlogin-direct: no jump.
# ProxyJump re-runs ssh with this same -F file, so the jump leg gets the same key and known_hosts.
Host testgw
    HostName $TC_HOST
    Port $TC_GATEWAY_PORT

Host testlogin
    HostName $TC_HOST
    Port $TC_LOGIN_PORT
    ProxyJump testgw

Host testlogin-direct
    HostName $TC_HOST
    Port $TC_LOGIN_PORT

Host *
    User $TC_USER
    IdentityFile $TC_KEY
    IdentitiesOnly yes
    UserKnownHostsFile $TC_KNOWN_HOSTS
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    PasswordAuthentication no
    KbdInteractiveAuthentication no
    ConnectTimeout 10
    LogLevel ERROR
EOF
    tc_install_if_changed "$tmp" "$TC_SSH_CONFIG" 644 || true
}

# Returns 0 if the config changed (so a running sshd must be told with SIGHUP).
tc_write_sshd_config() {
    tc_sshd_paths "$1"
    local forwarding loglevel tmp sftp
    case "$1" in
        # The gateway must forward (ProxyJump = direct-tcpip channel). DEBUG1, not VERBOSE: only DEBUG1 logs
        # each allowed forward ("server_request_direct_tcpip: ... target 127.0.0.1 port 2223"), which tests
        # grep to prove a connection went through the gateway. (VERBOSE logs only refused forwards.)
        gateway) forwarding=yes loglevel=DEBUG1 ;;
        # The login node does not forward: that makes it usable for the "jump host refuses forwarding"
        # negative test (jump through testlogin-direct). VERBOSE shows accepted/refused keys.
        login) forwarding=no loglevel=VERBOSE ;;
    esac
    sftp=/usr/lib/openssh/sftp-server
    [[ -x "$sftp" ]] || sftp=internal-sftp
    tmp="$(mktemp)"
    cat >"$tmp" <<EOF
# Generated by tools/testcluster/start.sh ($1 sshd of the hpcexec test cluster)
Port $SSHD_PORT
ListenAddress $TC_HOST
AddressFamily inet
HostKey $SSHD_DIR/ssh_host_ed25519_key
HostKey $SSHD_DIR/ssh_host_ecdsa_key
HostKey $SSHD_DIR/ssh_host_rsa_key
PidFile $SSHD_PID
LogLevel $loglevel

# Keys only, for $TC_USER only. StrictModes no: keys and configs live under /tmp and are owned by root.
AllowUsers $TC_USER
PermitRootLogin no
PubkeyAuthentication yes
AuthorizedKeysFile $TC_AUTH_KEYS_DIR/%u
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no

AllowTcpForwarding $forwarding
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
GatewayPorts no

# Slurm commands in SSH sessions need SLURM_CONF (there is no /etc/slurm/slurm.conf).
SetEnv SLURM_CONF=$TC_SLURM_CONF

# Tests open several channels per connection and many connections in parallel.
MaxSessions 10
MaxStartups 100:30:200
MaxAuthTries 10
LoginGraceTime 30
UseDNS no
PrintMotd no
PrintLastLog no
Subsystem sftp $sftp
EOF
    tc_install_if_changed "$tmp" "$SSHD_CONF" 644
}

# Returns 0 if slurm.conf changed.
tc_write_slurm_conf() {
    local tmp
    # An empty plugstack.conf of our own: the system one includes /etc/slurm/plugstack.conf.d/*, which we do
    # not control.
    [[ -f "$TC_DIR/plugstack.conf" ]] || : >"$TC_DIR/plugstack.conf"
    tmp="$(mktemp)"
    cat >"$tmp" <<EOF
# Generated by tools/testcluster/start.sh. Clients: export SLURM_CONF=$TC_SLURM_CONF
ClusterName=hpcexec-test
SlurmctldHost=localhost($TC_HOST)
SlurmctldPort=$TC_SLURMCTLD_PORT
SlurmdPort=$TC_SLURMD_PORT
SlurmUser=root
SlurmdUser=root

# munge on a private socket (no system munged)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TC_MUNGE_SOCKET

StateSaveLocation=$TC_SLURM_STATE
SlurmdSpoolDir=$TC_SLURMD_SPOOL
SlurmctldPidFile=$TC_SLURMCTLD_PID
SlurmdPidFile=$TC_SLURMD_PID
SlurmctldLogFile=$TC_SLURMCTLD_LOG
SlurmdLogFile=$TC_SLURMD_LOG
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$TC_DIR/plugstack.conf

# No systemd, no cgroups: plain process tracking, no task binding, no accounting daemon
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# Finished jobs stay in this file after MinJobAge purges them: 'sacct -c' reads it
JobCompType=jobcomp/filetxt
JobCompLoc=$TC_JOBCOMP
MpiDefault=none
MailProg=/bin/true

SelectType=select/cons_tres
# Cores only: memory is not a consumable resource here (RealMemory below is a declared, not measured, value)
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Start batch jobs right at submission instead of after the default delay (trivial job: ~1 s instead of ~3 s)
SchedulerParameters=batch_sched_delay=0

# Timeouts chosen for tests
MinJobAge=$TC_MINJOBAGE
MessageTimeout=$TC_MESSAGE_TIMEOUT
KillWait=5
InactiveLimit=0
Waittime=0
# A node that was down (e.g. slurmd killed) becomes usable again as soon as slurmd registers
ReturnToService=2

# Declare more CPUs than the machine has so many jobs run at once (the node's real size is not checked)
SlurmdParameters=config_overrides
NodeName=$TC_NODE NodeAddr=$TC_HOST CPUs=$TC_NODE_CPUS RealMemory=$TC_NODE_MEM_MB State=UNKNOWN
PartitionName=$TC_PARTITION Nodes=$TC_NODE Default=YES MaxTime=INFINITE State=UP
EOF
    tc_install_if_changed "$tmp" "$TC_SLURM_CONF" 644
}

tc_write_env_sh() {
    local tmp
    tmp="$(mktemp)"
    {
        echo "# Generated by tools/testcluster/start.sh. Tests and clients: source this file."
        printf 'export %s=%q\n' \
            HPCEXEC_TESTCLUSTER_DIR "$TC_DIR" \
            SLURM_CONF "$TC_SLURM_CONF" \
            HPCEXEC_TC_USER "$TC_USER" \
            HPCEXEC_TC_HOST "$TC_HOST" \
            HPCEXEC_TC_GATEWAY_PORT "$TC_GATEWAY_PORT" \
            HPCEXEC_TC_LOGIN_PORT "$TC_LOGIN_PORT" \
            HPCEXEC_TC_SSH_CONFIG "$TC_SSH_CONFIG" \
            HPCEXEC_TC_KNOWN_HOSTS "$TC_KNOWN_HOSTS" \
            HPCEXEC_TC_KEY "$TC_KEY" \
            HPCEXEC_TC_KEY_ECDSA "$TC_KEY_ECDSA" \
            HPCEXEC_TC_KEY_RSA "$TC_KEY_RSA" \
            HPCEXEC_TC_KEY_WRONG "$TC_KEY_WRONG" \
            HPCEXEC_TC_WORK_DIR "$TC_WORK_DIR" \
            HPCEXEC_TC_PARTITION "$TC_PARTITION" \
            HPCEXEC_TC_MINJOBAGE "$TC_MINJOBAGE" \
            HPCEXEC_TC_JOBCOMP "$TC_JOBCOMP" \
            HPCEXEC_TC_MUNGE_SOCKET "$TC_MUNGE_SOCKET" \
            HPCEXEC_TC_GATEWAY_LOG "$TC_LOG_DIR/sshd-gateway.log" \
            HPCEXEC_TC_LOGIN_LOG "$TC_LOG_DIR/sshd-login.log" \
            HPCEXEC_TC_SLURMCTLD_LOG "$TC_SLURMCTLD_LOG" \
            HPCEXEC_TC_SLURMD_LOG "$TC_SLURMD_LOG" \
            HPCEXEC_TC_CTL "$TC_SCRIPT_DIR/ctl.sh"
    } >"$tmp"
    tc_install_if_changed "$tmp" "$TC_ENV_SH" 644 || true
}

# Refuse to start a daemon on a port somebody else already listens on (a second cluster from another
# STATE_DIR, a system sshd on 2222...): the error would otherwise only show up in the daemon's log.
tc_require_port_free() {
    local port="$1" what="$2"
    if tc_port_listening "$port"; then
        tc_die "$what: port $port is already in use by another process (another test cluster with a different STATE_DIR?):
$(ss -Htlnp "sport = :$port" 2>/dev/null)"
    fi
}

# ---------------------------------------------------------------------------------------------------------------
# Daemons. Each start function: no-op if ours already runs; otherwise start, wait until healthy or die with
# the log tail. TC_STARTED_SOMETHING=1 when anything was (re)started.
# ---------------------------------------------------------------------------------------------------------------
TC_STARTED_SOMETHING=0

tc_start_munged() {
    if tc_munged_ok; then return 0; fi
    tc_stop_pidfile munged "$TC_MUNGE_PID" TERM 5 # a hung or half-dead one
    rm -f -- "$TC_MUNGE_SOCKET" "$TC_MUNGE_SOCKET.lock"
    tc_log "starting munged"
    # stdin/stdout/stderr away from the caller: a daemon holding a test's $(...) pipe would hang the test.
    tc_daemon_env munged --socket="$TC_MUNGE_SOCKET" --key-file="$TC_MUNGE_KEY" --pid-file="$TC_MUNGE_PID" \
        --log-file="$TC_MUNGE_LOG" --seed-file="$TC_MUNGE_SEED" --num-threads=4 \
        </dev/null >>"$TC_MUNGE_LOG" 2>&1 ||
        { tc_tail "$TC_MUNGE_LOG"; tc_die "munged failed to start"; }
    tc_wait_for "$TC_START_TIMEOUT" tc_munged_ok ||
        { tc_tail "$TC_MUNGE_LOG"; tc_die "munged did not come up within ${TC_START_TIMEOUT}s"; }
    TC_STARTED_SOMETHING=1
}

tc_start_slurmctld() {
    if tc_pidfile_alive "$TC_SLURMCTLD_PID"; then
        tc_wait_for "$TC_START_TIMEOUT" tc_slurmctld_ok ||
            { tc_tail "$TC_SLURMCTLD_LOG"; tc_die "slurmctld runs but does not answer 'scontrol ping'"; }
        return 0
    fi
    rm -f -- "$TC_SLURMCTLD_PID"
    tc_require_port_free "$TC_SLURMCTLD_PORT" slurmctld
    tc_log "starting slurmctld"
    # Without -c: recovers jobs and node state from StateSaveLocation (job ids keep growing across restarts).
    tc_daemon_env slurmctld </dev/null >>"$TC_SLURMCTLD_LOG" 2>&1 ||
        { tc_tail "$TC_SLURMCTLD_LOG"; tc_die "slurmctld failed to start"; }
    tc_wait_for "$TC_START_TIMEOUT" tc_slurmctld_ok ||
        { tc_tail "$TC_SLURMCTLD_LOG"; tc_die "slurmctld did not answer 'scontrol ping' within ${TC_START_TIMEOUT}s"; }
    if tc_pidfile_alive "$TC_SLURMD_PID"; then
        # A controller restarted under a running slurmd shows the node as "unknown" for ~3 s, until its next
        # ping; a reconfigure makes slurmd register at once (node usable ~0.2 s after the restart).
        tc_slurm scontrol reconfigure >/dev/null 2>&1 || true
    fi
    TC_STARTED_SOMETHING=1
}

# drained/down/failed node (left over from a crash test, "Duplicate jobid", "Kill task failed"...): resume it
tc_resume_node_if_needed() {
    local st
    st="$(tc_node_state)"
    case "$st" in
        *drain* | *down* | *fail*)
            # a trailing '*' (not responding) means slurmd has not registered yet; resuming then is pointless
            if [[ "$st" != *'*' ]]; then
                tc_log "node $TC_NODE is '$st': resuming"
                tc_slurm scontrol update nodename="$TC_NODE" state=resume >/dev/null 2>&1 || true
            fi
            ;;
    esac
}

tc_slurmd_wait_healthy() {
    local deadline=$((SECONDS + TC_START_TIMEOUT))
    while ((SECONDS <= deadline)); do
        tc_slurmd_ok && return 0
        tc_pidfile_alive "$TC_SLURMD_PID" || break
        tc_resume_node_if_needed
        sleep 0.2
    done
    tc_slurmd_ok && return 0
    tc_tail "$TC_SLURMD_LOG"
    tc_tail "$TC_SLURMCTLD_LOG" 10
    tc_die "node $TC_NODE not usable within ${TC_START_TIMEOUT}s (state: '$(tc_node_state)'; slurmd pid: '$(tc_pid_of "$TC_SLURMD_PID")')"
}

tc_start_slurmd() {
    if ! tc_pidfile_alive "$TC_SLURMD_PID"; then
        rm -f -- "$TC_SLURMD_PID"
        tc_require_port_free "$TC_SLURMD_PORT" slurmd
        tc_log "starting slurmd"
        # -N: the node name in slurm.conf is "localhost", not this machine's hostname
        tc_daemon_env slurmd -N "$TC_NODE" </dev/null >>"$TC_SLURMD_LOG" 2>&1 ||
            { tc_tail "$TC_SLURMD_LOG"; tc_die "slurmd failed to start"; }
        TC_STARTED_SOMETHING=1
    fi
    tc_slurmd_wait_healthy
}

# $1 gateway|login, $2 1 if its config changed
tc_start_sshd() {
    local changed="${2:-0}"
    tc_sshd_paths "$1"
    if tc_pidfile_alive "$SSHD_PID"; then
        if [[ "$changed" == 1 ]]; then
            # SIGHUP: sshd re-execs itself with the new config, same pid, sessions untouched
            tc_log "$1 sshd: config changed, reloading"
            kill -HUP "$(tc_pid_of "$SSHD_PID")"
            sleep 0.3
        fi
        tc_wait_for "$TC_START_TIMEOUT" tc_sshd_ok "$1" ||
            { tc_tail "$SSHD_LOG"; tc_die "$1 sshd (port $SSHD_PORT) runs but does not answer"; }
        return 0
    fi
    rm -f -- "$SSHD_PID"
    tc_require_port_free "$SSHD_PORT" "$1 sshd"
    local err
    err="$("$TC_SSHD" -t -f "$SSHD_CONF" 2>&1)" || tc_die "$1 sshd: invalid config $SSHD_CONF: $err"
    tc_log "starting $1 sshd on $TC_HOST:$SSHD_PORT"
    # Absolute path: sshd re-execs itself for every connection and refuses a relative argv[0].
    # (early errors, before sshd opens its -E log, land in the same file)
    # shellcheck disable=SC2094
    tc_daemon_env "$TC_SSHD" -f "$SSHD_CONF" -E "$SSHD_LOG" </dev/null >>"$SSHD_LOG" 2>&1 ||
        { tc_tail "$SSHD_LOG"; tc_die "$1 sshd failed to start"; }
    # sshd forks into the background before it binds; the pid file appears after the bind.
    tc_wait_for "$TC_START_TIMEOUT" tc_sshd_ok "$1" ||
        { tc_tail "$SSHD_LOG"; tc_die "$1 sshd did not accept connections on port $SSHD_PORT within ${TC_START_TIMEOUT}s"; }
    TC_STARTED_SOMETHING=1
}

# End-to-end: key login of $TC_USER through the gateway, SetEnv SLURM_CONF, munge socket usable by the user.
tc_verify_ssh_slurm() {
    local out
    if ! out="$(ssh -n -F "$TC_SSH_CONFIG" testlogin 'squeue --noheader --format=%i >/dev/null && echo ok' 2>&1)" ||
        [[ "$out" != ok ]]; then
        tc_tail "$TC_LOG_DIR/sshd-gateway.log" 10
        tc_tail "$TC_LOG_DIR/sshd-login.log" 10
        tc_die "ssh -F $TC_SSH_CONFIG testlogin squeue failed: $out"
    fi
}

# Prepare files (cheap when they exist) and start whatever is not running.
tc_start_all() {
    tc_check_prereqs
    tc_check_parent_dirs
    tc_make_dirs
    # One start/stop at a time per STATE_DIR: parallel test processes may all call start.sh.
    exec 9>"$TC_DIR/.lock"
    flock -w 120 9 || tc_die "could not lock $TC_DIR/.lock (another start/stop hangs?)"

    # Before touching anything (user profile, configs): fail if another cluster holds our ports.
    tc_pidfile_alive "$TC_SLURMCTLD_PID" || tc_require_port_free "$TC_SLURMCTLD_PORT" slurmctld
    tc_pidfile_alive "$TC_SLURMD_PID" || tc_require_port_free "$TC_SLURMD_PORT" slurmd
    tc_sshd_paths gateway
    tc_pidfile_alive "$SSHD_PID" || tc_require_port_free "$SSHD_PORT" "gateway sshd"
    tc_sshd_paths login
    tc_pidfile_alive "$SSHD_PID" || tc_require_port_free "$SSHD_PORT" "login sshd"

    tc_ensure_user
    tc_ensure_keys
    tc_write_ssh_config
    local slurm_changed=0 gw_changed=0 login_changed=0
    tc_write_slurm_conf && slurm_changed=1
    tc_write_sshd_config gateway && gw_changed=1
    tc_write_sshd_config login && login_changed=1
    tc_write_env_sh

    tc_start_munged
    if [[ "$slurm_changed" == 1 ]] && tc_pidfile_alive "$TC_SLURMCTLD_PID"; then
        # e.g. HPCEXEC_TESTCLUSTER_MINJOBAGE changed: applied without a restart (slurmd gets it too)
        tc_log "slurm.conf changed: scontrol reconfigure"
        tc_slurm scontrol reconfigure || tc_die "scontrol reconfigure failed"
    fi
    tc_start_slurmctld
    tc_start_slurmd
    tc_start_sshd gateway "$gw_changed"
    tc_start_sshd login "$login_changed"
    if [[ "$TC_STARTED_SOMETHING" == 1 || "$gw_changed" == 1 || "$login_changed" == 1 ]]; then
        tc_verify_ssh_slurm
    fi
}

tc_summary() {
    cat <<EOF
hpcexec test cluster running in $TC_DIR
  source $TC_ENV_SH          (SLURM_CONF, HPCEXEC_TC_*)
  slurm:   partition $TC_PARTITION, node $TC_NODE ($TC_NODE_CPUS CPUs declared), ports $TC_SLURMCTLD_PORT/$TC_SLURMD_PORT, MinJobAge=$TC_MINJOBAGE
  ssh:     ssh -F $TC_SSH_CONFIG testlogin   (user $TC_USER; gateway $TC_HOST:$TC_GATEWAY_PORT, login $TC_HOST:$TC_LOGIN_PORT)
  keys:    $TC_KEYS_DIR/{id_ed25519,id_ecdsa,id_rsa,id_ed25519_wrong}
  workdir: $TC_WORK_DIR
  stop:    $TC_SCRIPT_DIR/stop.sh $TC_DIR
EOF
}
