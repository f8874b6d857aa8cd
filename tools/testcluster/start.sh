#!/usr/bin/env bash
# Start the local test cluster (munged, slurmctld, slurmd, gateway sshd, login sshd) without systemd.
#
#   tools/testcluster/start.sh [STATE_DIR]     (default: $HPCEXEC_TESTCLUSTER_DIR or /tmp/hpcexec-testcluster)
#
# Idempotent: components already running from this STATE_DIR are kept; if everything is up and healthy it
# returns at once. Missing pieces (user, keys, configs) are created; keys are created only once so the
# known_hosts file stays valid across restarts. Waits until every component is healthy; on failure prints
# which one and the tail of its log, and exits non-zero (components already started keep running: run
# stop.sh to clean up).
#
# Afterwards, clients do:   source "$STATE_DIR/env.sh"   (exports SLURM_CONF and the HPCEXEC_TC_* paths)
#
# Environment: HPCEXEC_TESTCLUSTER_DIR, HPCEXEC_TESTCLUSTER_MINJOBAGE (default 30 s; a change is applied to a
# running cluster with `scontrol reconfigure`), HPCEXEC_TESTCLUSTER_TIMEOUT (default 30 s per component).
# Needs root and the packages slurmctld slurmd slurm-client munge openssh-server openssh-client.
set -euo pipefail

TC_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$TC_SCRIPT_DIR/common.sh"
tc_init "${1:-}"
# shellcheck source-path=SCRIPTDIR source=lib_start.sh
source "$TC_SCRIPT_DIR/lib_start.sh"

T0=$EPOCHREALTIME
tc_start_all
tc_log "cluster up in $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s"
tc_summary
