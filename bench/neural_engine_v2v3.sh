#!/bin/sh
# The cosyvoice engine at full CosyVoice2-0.5B / Fun-CosyVoice3-0.5B size
# (random weights written by `cosyvoice-make-random-model --family v2|v3`
# into BUILD/random-v2, BUILD/random-v3 the first time: 2.5 and 3.3 GB), end
# to end without the server, 2 threads, sft with a saved voice (a 3 s prompt:
# it conditions the LM and the flow, so every chunk's flow also runs over the
# prompt's 150 mel frames), a sentence of about 40 text tokens, 100 speech
# tokens = 4 s of audio, streaming: time to the first chunk broken down (front
# end, LM to its first token and to the first chunk's tokens, flow, vocoder),
# LM tokens/s, flow and vocoder RTF, overall RTF and memory; float32 against
# int8 LM + bf16 flow/vocoder (CPUs with AVX512_BF16/AMX); two concurrent calls.
# Random weights: the LM would rarely stop by itself, so the speech token count
# is forced (--tokens = fixed_tokens: every stop id masked).
# Usage: bench/neural_engine_v2v3.sh [build-dir] [v2|v3|all]
# Reference PyTorch on this machine, CosyVoice2-0.5B full size: LM 2.1
# tokens/s, total RTF 23.9 for 4 s of audio (none measured for CosyVoice3).
# Ratios are reference / ours (> 1: faster than the reference). Targets
# (issue 19): first chunk <= 1.5 s with a saved voice, streaming RTF <= 1.2.
# The engine's lm_yield is auto here (on with 2 LM + 2 flow threads on 2 cores);
# bench/lm_yield.sh compares on and off (cosyvoice-bench-neural --lm-yield).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$here/build}
FAMS=${2:-all}
BIN="$BUILD/cosyvoice-bench-neural"
MAKE="$BUILD/cosyvoice-make-random-model"
[ -x "$BIN" ] && [ -x "$MAKE" ] || { echo "build first: make" >&2; exit 1; }

run() { # family, options...
    fam=$1
    shift
    out=$(/usr/bin/time -v nice "$BIN" --model-dir "$BUILD/random-$fam" --threads 2 "$@" \
          2>/tmp/cv_bench_v2v3.$$) || { cat /tmp/cv_bench_v2v3.$$ >&2; exit 1; }
    echo "$out"
    grep "Maximum resident" /tmp/cv_bench_v2v3.$$ | awk '{printf "peak RSS (process)   %.0f MB\n", $6/1024}'
    rm -f /tmp/cv_bench_v2v3.$$
    echo "$out" | awk -v fam="$fam" '
        /^first chunk/  { first = $3 }
        /^LM /          { lm = $2 }
        /^overall RTF/  { all = $3 }
        END {
            if (fam == "v2")
                printf "vs reference         LM %.1fx faster, overall %.1fx\n", lm / 2.1, 23.9 / all
            printf "targets              first chunk %.2f s (<= 1.5: %s), overall RTF %.2f (<= 1.2: %s)\n",
                   first, first <= 1.5 ? "met" : "not met", all, all <= 1.2 ? "met" : "not met"
        }'
}

for fam in v2 v3; do
    [ "$FAMS" = all ] || [ "$FAMS" = "$fam" ] || continue
    [ -f "$BUILD/random-$fam/hift.pt" ] ||
        "$MAKE" "$BUILD/random-$fam" --family "$fam" --source "$here" >/dev/null
    echo "=== $fam: streaming, 100 speech tokens (4 s), saved voice, fp32"
    run "$fam" --tokens 100
    echo
    echo "=== $fam: the same, int8 LM, bf16 flow and vocoder (CPUs with bf16)"
    run "$fam" --tokens 100 --int8 --bf16
    echo
    echo "=== $fam: non-streaming, 100 speech tokens, int8 LM, bf16 (stage CPU seconds)"
    run "$fam" --tokens 100 --int8 --bf16 --no-stream | grep -E "^(first|LM|flow|vocoder|overall|CPU)"
    echo
    echo "=== $fam: 2 concurrent streaming calls of 100 speech tokens, int8 LM, bf16"
    run "$fam" --tokens 100 --int8 --bf16 --calls 2 | grep -E "^(mode|first|LM|overall|memory|peak)"
    echo
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (wall-clock figures"
echo "grow with other load on the cores)"
