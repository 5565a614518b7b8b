#!/bin/sh
# The GEMM libraries side by side on the networks' shapes (one thread each,
# in turns within one run): oneDNN sgemm and bf16 matmul, OpenBLAS as it
# detects the CPU and with the cores named below forced, BLIS. How oneDNN
# was chosen: docs/compute.md. Usage: bench/gemm.sh [build-dir] [extra options]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
[ -x "$build/cosyvoice-bench-gemm" ] || make -C "$here" BUILD="$build"
exec "$build/cosyvoice-bench-gemm" --reps 5 --openblas-core SkylakeX --openblas-core Haswell \
    --openblas-core Prescott "$@"
