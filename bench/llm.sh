#!/bin/sh
# Speed of the speech-token LMs at their official sizes (random weights built
# in memory): time to first token and tokens/s for a 40-token text on 2
# threads, float32 and int8 weights, plus how far int8 moves the log-probs.
#   v1: CosyVoice-300M's TransformerLM    (reference PyTorch: 3.1 tokens/s)
#   v2: CosyVoice2-0.5B's Qwen2LM         (reference PyTorch: 2.1 tokens/s,
#                                          first token 2.7 s)
#   v3: Fun-CosyVoice3-0.5B's LM: the same Qwen2 as v2 (6761 output rows)
# Usage: bench/llm.sh [build-dir] [families...]   e.g. bench/llm.sh build v2
set -eu
BUILD=${1:-build}
[ $# -gt 0 ] && shift
FAMILIES=${*:-v1 v2 v3}
BIN="$BUILD/cosyvoice-bench-llm"
[ -x "$BIN" ] || { echo "build first: make" >&2; exit 1; }
for f in $FAMILIES; do
  echo "== $f float32"
  "$BIN" --family "$f" --threads 2 --text-len 40 --tokens 100 --repeat 3
  echo "== $f int8"
  "$BIN" --family "$f" --threads 2 --text-len 40 --tokens 100 --repeat 3 --int8
  echo "== $f int8 vs float32 log-probs"
  "$BIN" --family "$f" --threads 2 --text-len 40 --tokens 40 --int8-error
done
