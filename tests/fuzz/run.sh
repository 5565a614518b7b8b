#!/usr/bin/env bash
# Builds (once, with clang + libFuzzer + ASan/UBSan) and runs one fuzz target.
#   tests/fuzz/run.sh NAME [RUNS] [BUILD_DIR]     e.g. tests/fuzz/run.sh request 20000
# RUNS=0 fuzzes until stopped (use for long runs: add -max_total_time=600 via
# FUZZ_ARGS). New inputs go to BUILD_DIR/corpus-NAME; the seed corpus in
# tests/fuzz/corpus/NAME is only read.
set -euo pipefail
NAME=$1
RUNS=${2:-20000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${3:-$ROOT/build/fuzz}
mkdir -p "$OUT"
(
  # Several fuzz tests may start at once (ctest -j): build under a lock.
  flock 9
  if [ ! -f "$OUT/CMakeCache.txt" ]; then
    CC=clang cmake -S "$ROOT" -B "$OUT" -DCV_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$OUT/configure.log"
  fi
  cmake --build "$OUT" --target "fuzz_$NAME" -j"$(nproc)" > "$OUT/build-$NAME.log" 2>&1 ||
    { cat "$OUT/build-$NAME.log"; exit 1; }
) 9> "$OUT/.lock"
CORPUS="$OUT/corpus-$NAME"
rm -rf "$CORPUS"
mkdir -p "$CORPUS"
SEEDS="$ROOT/tests/fuzz/corpus/$NAME"
mkdir -p "$OUT/artifacts-$NAME"
ARGS=(-seed=1 -rss_limit_mb=2048 -timeout=20 -artifact_prefix="$OUT/artifacts-$NAME/")
[ "$RUNS" != 0 ] && ARGS+=(-runs="$RUNS")
# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
exec "$OUT/fuzz_$NAME" "${ARGS[@]}" ${FUZZ_ARGS:-} "$CORPUS" "$SEEDS"
