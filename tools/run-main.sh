#!/usr/bin/env bash
# The main job on a fresh machine: installs the dependencies, builds, and runs the seed's basic example
# (an executor from the original's configuration shape, init(), then run("echo \"hello world\"")).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"

bash "$root/tools/install-deps.sh"
bash "$root/tools/build.sh"
"$build_dir/samples/basic_example" "$@"
