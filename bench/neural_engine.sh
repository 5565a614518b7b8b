#!/bin/sh
# The cosyvoice engine at full CosyVoice-300M size (random weights written
# by cosyvoice-make-random-model into BUILD/random-300m the first time):
# load time, time to first chunk, LM tokens/s, flow and vocoder RTF, overall
# RTF and memory, on 2 threads, for a sentence of about 40 text tokens,
# non-streaming (100 speech tokens = 2 s of audio, the reference's figure)
# and streaming (250 tokens, 3 chunks). Random weights: the LM would rarely
# emit eos, so the speech token count is forced (--tokens = fixed_tokens).
# Usage: bench/neural_engine.sh [build-dir]
# Reference PyTorch on this machine: LM 3.1 tokens/s, flow RTF 8.2,
# vocoder RTF 0.54, overall RTF 24.7 for 2 s of audio. Ratios are
# reference time / our time (> 1: faster than the reference).
set -eu
BUILD=${1:-build}
BIN="$BUILD/cosyvoice-bench-neural"
MAKE="$BUILD/cosyvoice-make-random-model"
MODEL="$BUILD/random-300m"
[ -x "$BIN" ] && [ -x "$MAKE" ] || { echo "build first: make" >&2; exit 1; }
[ -f "$MODEL/hift.pt" ] || "$MAKE" "$MODEL"

run() {
    out=$(/usr/bin/time -v "$BIN" --model-dir "$MODEL" --threads 2 "$@" 2>/tmp/cv_bench_neural.$$)
    echo "$out"
    grep "Maximum resident" /tmp/cv_bench_neural.$$ | awk '{printf "peak RSS (process)   %.0f MB\n", $6/1024}'
    rm -f /tmp/cv_bench_neural.$$
    echo "$out" | awk '
        /^LM /          { lm = $2 }
        /^CPU seconds/  { cpu = $0 }
        /^flow RTF/     { flow = $3 }
        /^vocoder RTF/  { voc = $3 }
        /^overall RTF/  { all = $3 }
        END { printf "vs reference         LM %.1fx faster, flow %.1fx, vocoder %.1fx, overall %.1fx\n",
                     lm / 3.1, 8.2 / flow, 0.54 / voc, 24.7 / all }'
}

echo "== non-streaming, 100 speech tokens (2 s)"
run --tokens 100 --no-stream
echo
echo "== non-streaming, 100 speech tokens, int8 LM, fp32 flow and vocoder"
run --tokens 100 --no-stream --int8
echo
echo "== non-streaming, 100 speech tokens, int8 LM, bf16 flow and vocoder (CPUs with bf16)"
run --tokens 100 --no-stream --int8 --bf16 || echo "(no bf16 on this CPU)"
echo
echo "== streaming, 250 speech tokens (reference hops: 100 + 20 overlap first)"
run --tokens 250
echo
echo "== memory per call: 2 concurrent streaming calls of 130 speech tokens"
"$BIN" --model-dir "$MODEL" --threads 2 --tokens 130 --calls 2 2>/dev/null | grep -E "^(mode|memory)"
echo
echo "== cancellation: non-streaming 250 speech tokens, cancelled 10 s in (LM done"
echo "   after ~7 s here, so the flow is running); a flow step is ~1/10 of the flow"
"$BIN" --model-dir "$MODEL" --threads 2 --tokens 250 --no-stream --cancel-after 10 2>/dev/null | grep "^cancel"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (wall-clock figures"
echo "grow with other load; the CPU-second figures of the non-streaming run do not)"
