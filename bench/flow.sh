#!/bin/sh
# Flow (speech tokens -> mel) real-time factor at full CosyVoice-300M size
# (encoder 512-dim x 6 blocks, estimator channels [256,256], 4 transformer
# blocks per stage, 12 mid blocks, 8 heads of 64) with random weights,
# 2 threads, 100 speech tokens (2 s of audio), no prompt. Also prints the
# 1024^3 nn_gemm peak measured in the same run and the estimator's share;
# --precision bf16 runs it with bf16 weights.
# Usage: bench/flow.sh [build-dir] [extra options]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
[ -x "$build/cosyvoice-bench-flow" ] || make -C "$here" BUILD="$build"
exec "$build/cosyvoice-bench-flow" --threads 2 --tokens 100 --reps 3 "$@"
