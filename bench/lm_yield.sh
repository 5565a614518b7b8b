#!/bin/sh
# lm_yield on against off (the engine option: the LM thread parks while a
# chunk is computed, docs/neural_engine.md "LM yields to token-to-audio"):
# full-size random-weight directories, 2 threads (LM 2 + flow 2 on a 2-core
# machine is where auto turns it on), streaming 100 speech tokens with a
# saved voice, fp32 and int8 LM + bf16; on and off runs alternate so a change
# of load on the cores hits both alike. Per run: first chunk by stage,
# overall RTF, the LM's parked seconds, process CPU seconds and the load
# average before the run (the cores are shared: compare CPU seconds too).
# Usage: [TOKENS=N] bench/lm_yield.sh [build-dir] [v1|v2|v3|all] [rounds]
# (TOKENS: speech tokens forced, default 100; v1's first chunk needs 120, so
# give it more, e.g. 400, or it is a single chunk made after the LM is done)
# Directories: MODELS (default: build-dir) /random-300m, /random-v2,
# /random-v3, made by cosyvoice-make-random-model when missing (1.2, 2.5
# and 3.3 GB); MODELS=/other/build reuses another checkout's, read-only.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$here/build}
FAMS=${2:-v2}
ROUNDS=${3:-2}
TOKENS=${TOKENS:-100}
MODELS=${MODELS:-$BUILD}
BIN="$BUILD/cosyvoice-bench-neural"
MAKE="$BUILD/cosyvoice-make-random-model"
[ -x "$BIN" ] && [ -x "$MAKE" ] || { echo "build first: make" >&2; exit 1; }
lscpu | grep 'Model name' || true

for fam in v1 v2 v3; do
    [ "$FAMS" = all ] || [ "$FAMS" = "$fam" ] || continue
    case $fam in
    v1) dir=$MODELS/random-300m; [ -f "$dir/hift.pt" ] || "$MAKE" "$dir" >/dev/null ;;
    *) dir=$MODELS/random-$fam
       [ -f "$dir/hift.pt" ] || "$MAKE" "$dir" --family "$fam" --source "$here" >/dev/null ;;
    esac
    for prec in fp32 "int8 bf16"; do
        flags=""
        [ "$prec" = fp32 ] || flags="--int8 --bf16"
        r=1
        while [ "$r" -le "$ROUNDS" ]; do
            for y in on off; do
                echo "=== $fam $prec lm_yield=$y round $r; load average $(cut -d' ' -f1-3 /proc/loadavg)"
                # shellcheck disable=SC2086
                nice "$BIN" --model-dir "$dir" --threads 2 --tokens "$TOKENS" --lm-yield "$y" $flags \
                    2>/dev/null | grep -E "^(first chunk|LM |overall|lm_yield|process CPU)"
            done
            r=$((r + 1))
        done
    done
done
