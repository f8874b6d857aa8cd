#!/usr/bin/env bash
# The out-of-tree plugin sample, built the way a third party would: hpcexec is installed into a fresh prefix and the
# installed tree is moved elsewhere (it must be relocatable); the sample finds it there with find_package(hpcexec
# CONFIG), builds its plugin with hpcexec_add_plugin(), and a program chooses the plugin by name in a configuration.
# The moved install's own `hpcexec` finds its in-tree plugins relative to itself.
#
#   out_of_tree_plugin_test.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
source_dir="$1" build_dir="$2" scratch="$3"
rm -rf "$scratch"
mkdir -p "$scratch"

unset HPCEXEC_PLUGIN_PATH
cmake --install "$build_dir" --prefix "$scratch/installed-here" > "$scratch/install.log"
mv "$scratch/installed-here" "$scratch/prefix"

plugins=$("$scratch/prefix/bin/hpcexec" plugins)
for plugin in connector_local connector_ssh queue_slurm checkpoint_sqlite serializer_pickle; do
  if [[ "$plugins" != *"$scratch/prefix/lib/hpcexec/plugins/libhpcexec_$plugin.so"* ]]; then
    echo "the moved install's hpcexec does not find libhpcexec_$plugin.so in its own plugin directory:"
    echo "$plugins"
    exit 1
  fi
done
if grep -r --binary-files=text -l "$scratch/installed-here" "$scratch/prefix" > "$scratch/stale-paths.txt"; then
  echo "files of the install still name the directory it was installed into:"; cat "$scratch/stale-paths.txt"; exit 1
fi

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
