#!/usr/bin/env bash
# Builds the pickle reader's libFuzzer target with clang (ASan + UBSan) and runs it.
#
#   tools/fuzz/run.sh [SECONDS]     (default 60)
#
# The target is compiled here, straight from the reader/writer sources and the SDK sources they need, not through
# the CMake build: that build stays gcc-only and warning-clean. Seeds come from tools/fuzz/corpus/pickle/
# (regenerate with make_seeds.py); inputs the fuzzer finds go to $FUZZ_BUILD_DIR/corpus, and a crashing input to
# $FUZZ_BUILD_DIR/artifacts. Exits non-zero on any finding (crash, sanitizer report, timeout, memory limit).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-60}"
out="${FUZZ_BUILD_DIR:-$root/build-fuzz}"

cxx="$(command -v clang++-14 || command -v clang++ || true)"
if [[ -z "$cxx" ]]; then
  echo "fuzz: clang++ not found; install it with:" >&2
  echo "  apt-get install -y --no-install-recommends clang-14 libclang-rt-14-dev" >&2
  exit 2
fi

sources=(
  "$root/tools/fuzz/pickle_fuzz.cpp"
  "$root/plugins/serializer_pickle/pickle_opcodes.cpp"
  "$root/plugins/serializer_pickle/pickle_reader.cpp"
  "$root/plugins/serializer_pickle/pickle_writer.cpp"
  "$root/sdk/src/value.cpp"
  "$root/sdk/src/errors.cpp"
)
mkdir -p "$out/corpus" "$out/artifacts"
binary="$out/pickle_fuzz"
stale=0
[[ -x "$binary" ]] || stale=1
for source in "${sources[@]}" "$root"/plugins/serializer_pickle/*.hpp "$root"/sdk/include/hpcexec/value.hpp; do
  [[ "$source" -nt "$binary" ]] && stale=1
done
if ((stale)); then
  echo "fuzz: building $binary with $cxx"
  "$cxx" -std=c++20 -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I "$root/sdk/include" -I "$root/plugins/serializer_pickle" \
    "${sources[@]}" -o "$binary"
fi

echo "fuzz: running for ${seconds}s"
# -timeout: an input that takes 30 s (five passes under the sanitizers, on a machine that may be shared) is a finding.
"$binary" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
  -artifact_prefix="$out/artifacts/" "$out/corpus" "$root/tools/fuzz/corpus/pickle"
