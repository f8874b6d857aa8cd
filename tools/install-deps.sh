#!/usr/bin/env bash
# Installs everything hpcexec needs to build and test, from Debian 12 packages only. Idempotent: a second run
# installs nothing and takes a second.
#
# Boost must be the 1.81 packages: libboost-dev / libboost-all-dev are 1.74 and would remove the 1.81 -dev
# packages, so they are never named here.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config git
  # libraries
  libboost-json1.81-dev libboost-filesystem1.81-dev libboost-system1.81-dev libboost-program-options1.81-dev
  libssh2-1-dev libpoco-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  # the local test cluster: Slurm, munge, OpenSSH; CPython for the pickle runner
  slurmctld slurmd slurm-client munge openssh-server openssh-client python3
  # the pickle reader's fuzz target (libFuzzer with AddressSanitizer and UBSan)
  clang-14 libclang-rt-14-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: must run as root to install packages" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps Slurm lean (8 packages instead of 43) and pulls no 1.74 Boost.
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
