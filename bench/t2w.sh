#!/bin/sh
# CosyVoice2 / CosyVoice3 token-to-audio at full size with random weights
# (cosyvoice-bench-t2w): flow and vocoder real-time factors without
# streaming for 4 s of audio, then a streamed 20 s utterance (first chunk,
# flow and vocoder work summed over its chunks against the non-streamed
# call) and peak memory, 2 threads, float32.
# Usage: bench/t2w.sh [v2|v3|all] [build-dir] [extra options]
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
fam=${1:-all}
[ $# -gt 0 ] && shift
build=${1:-$here/build}
[ $# -gt 0 ] && shift
[ -x "$build/cosyvoice-bench-t2w" ] || make -C "$here" BUILD="$build"
cd "$here"
for f in v2 v3; do
    [ "$fam" = all ] || [ "$fam" = "$f" ] || continue
    "$build/cosyvoice-bench-t2w" --family "$f" --threads 2 --seconds 4 --stream-seconds 20 \
        --reps 2 "$@"
done
