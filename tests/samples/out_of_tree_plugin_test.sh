#!/usr/bin/env bash
# The out-of-tree plugin sample, built the way a third party would: hpcexec is installed into a fresh prefix,
# the sample finds it with find_package(hpcexec CONFIG), builds its plugin with hpcexec_add_plugin(), and a program
# chooses the plugin by name in a configuration.
#
#   out_of_tree_plugin_test.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
source_dir="$1" build_dir="$2" scratch="$3"
rm -rf "$scratch"
mkdir -p "$scratch"

cmake --install "$build_dir" --prefix "$scratch/prefix" > "$scratch/install.log"
cmake -S "$source_dir/samples/out_of_tree_plugin" -B "$scratch/sample-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$scratch/prefix" > "$scratch/configure.log"
cmake --build "$scratch/sample-build" > "$scratch/build.log"

output=$("$scratch/sample-build/memo_demo" "$scratch/sample-build/plugins" "$scratch/records.json")
echo "$output"
[[ "$output" == "answer 42 42, computed 1 time(s), store jsonfile:$scratch/records.json" ]]
# A second process finds the record the first one left in the plugin's store.
output=$("$scratch/sample-build/memo_demo" "$scratch/sample-build/plugins" "$scratch/records.json")
[[ "$output" == "answer 42 42, computed 0 time(s), store jsonfile:$scratch/records.json" ]]
echo "out-of-tree plugin: ok"
