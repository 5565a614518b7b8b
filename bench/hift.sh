#!/bin/sh
# Vocoder real-time factor at full CosyVoice-300M size (base_channels 512,
# f0 predictor cond_channels 512, the rest as in the tiny golden yaml, which
# has the 300M upsample/iSTFT/resblock layout) with random weights, 2
# threads, 10 s of audio. Usage: bench/hift.sh [build-dir] [extra options]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
[ $# -gt 0 ] && shift
[ -x "$build/cosyvoice-bench-hift" ] || make -C "$here" BUILD="$build"
exec "$build/cosyvoice-bench-hift" \
    --yaml "$here/tests/data/golden/cosyvoice-v1-tiny/cosyvoice.yaml" \
    --base-channels 512 --cond-channels 512 --threads 2 --seconds 10 --repeat 3 "$@"
