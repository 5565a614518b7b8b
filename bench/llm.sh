#!/bin/sh
# Speed of the speech-token LM at CosyVoice-300M's size (random weights built
# in memory): time to first token and tokens/s for a 40-token text on 2
# threads, float32 and int8 weights, plus how far int8 moves the log-probs.
# Usage: bench/llm.sh [build-dir]   (reference PyTorch: 3.1 tokens/s)
set -eu
BUILD=${1:-build}
BIN="$BUILD/cosyvoice-bench-llm"
[ -x "$BIN" ] || { echo "build first: make" >&2; exit 1; }
echo "== float32"
"$BIN" --threads 2 --text-len 40 --tokens 100 --repeat 3
echo "== int8"
"$BIN" --threads 2 --text-len 40 --tokens 100 --repeat 3 --int8
echo "== int8 vs float32 log-probs"
"$BIN" --threads 2 --text-len 40 --tokens 40 --int8-error
