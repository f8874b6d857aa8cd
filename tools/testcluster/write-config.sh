#!/usr/bin/env bash
# Writes an hpcexec configuration for the running local test cluster: the login node over SSH through the
# gateway (jump host), Slurm, and a work directory hpcuser can write.
#
#   tools/testcluster/write-config.sh OUTPUT_FILE [WORK_SUBDIR]
set -euo pipefail
output="$1"
subdir="${2:-workflow}"
# shellcheck source=/dev/null
source "${HPCEXEC_TESTCLUSTER_DIR:-/tmp/hpcexec-testcluster}/env.sh"
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
