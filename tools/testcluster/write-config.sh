#!/usr/bin/env bash
# Writes an hpcexec configuration for the running local test cluster: the login node over SSH through the
# gateway (jump host), Slurm, and a work directory hpcuser can write. With --local: this machine through the local
# connector instead (commands and jobs run as the calling user).
#
#   tools/testcluster/write-config.sh [--local] OUTPUT_FILE [WORK_SUBDIR]
set -euo pipefail
local_connector=0
if [[ "${1:-}" == "--local" ]]; then local_connector=1; shift; fi
output="$1"
subdir="${2:-workflow}"
# shellcheck source=/dev/null
source "${HPCEXEC_TESTCLUSTER_DIR:-/tmp/hpcexec-testcluster}/env.sh"
if ((local_connector)); then
  cat > "$output" <<CONFIG
# The local test cluster's Slurm through the local connector (SLURM_CONF from its env.sh).
queue_system: {slurm: {polling_interval: 1}}
work_dir: $HPCEXEC_TC_WORK_DIR/$subdir
python_cmd: python3
CONFIG
  exit 0
fi
cat > "$output" <<CONFIG
# The local test cluster (tools/testcluster/start.sh): login node 127.0.0.1:$HPCEXEC_TC_LOGIN_PORT reached through
# the gateway 127.0.0.1:$HPCEXEC_TC_GATEWAY_PORT, host keys checked against the cluster's known_hosts.
ssh:
  host: $HPCEXEC_TC_USER@$HPCEXEC_TC_HOST:$HPCEXEC_TC_LOGIN_PORT
  identity_file: $HPCEXEC_TC_KEY
  known_hosts: $HPCEXEC_TC_KNOWN_HOSTS
  gateway:
    host: $HPCEXEC_TC_USER@$HPCEXEC_TC_HOST:$HPCEXEC_TC_GATEWAY_PORT
    identity_file: $HPCEXEC_TC_KEY
    known_hosts: $HPCEXEC_TC_KNOWN_HOSTS
queue_system: {slurm: {polling_interval: 1}}
work_dir: $HPCEXEC_TC_WORK_DIR/$subdir
python_cmd: python3
CONFIG
