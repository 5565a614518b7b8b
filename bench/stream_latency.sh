#!/usr/bin/env bash
# Streaming latency benchmark: starts cosyvoice-server (default engine unless
# ENGINE/MODEL_DIR say otherwise), then calls it with the C client for a
# one-sentence and a ten-sentence text, RUNS times each, and prints the
# median time to first chunk, total time, chunk count, audio seconds and
# real-time factor (total time / audio seconds).
#   bench/stream_latency.sh [BUILD_DIR]     env: RUNS=5 ENGINE=espeak SPK=英文女
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
RUNS=${RUNS:-5}
ENGINE=${ENGINE:-espeak}
SPK=${SPK:-英文女}
EXTRA=()
[ -n "${MODEL_DIR:-}" ] && EXTRA+=(--model-dir "$MODEL_DIR")
# shellcheck source=bench/lib/measure.sh
. "$HERE/lib/measure.sh"
TMP=$(mktemp -d)
trap 'bench_stop_server; rm -rf "$TMP"' EXIT
bench_start_server "$BUILD" "$TMP" --engine "$ENGINE" "${EXTRA[@]}"
PORT=$BENCH_PORT

ONE="The quick brown fox jumps over the lazy dog near the river bank."
TEN="It was a bright cold day in April. The clocks were striking thirteen. \
Winston hurried through the glass doors. A gritty wind blew dust along the street. \
The hallway smelt of boiled cabbage and old rag mats. At one end a coloured poster was tacked to the wall. \
It depicted simply an enormous face, more than a metre wide. \
The face was that of a man of about forty-five, with a heavy black moustache. \
Winston made for the stairs; it was no use trying the lift. \
Even at the best of times it was seldom working, and at present the electric current was cut off."


printf "engine=%s speaker=%s runs=%s host=%s cores=%s\n" "$ENGINE" "$SPK" "$RUNS" "$(hostname)" "$(nproc)"
printf "%-14s %10s %10s %8s %10s %8s\n" text first_chunk total chunks audio_s rtf
for name in one_sentence ten_sentences; do
  text=$ONE; [ $name = ten_sentences ] && text=$TEN
  : > "$TMP/$name"
  for _ in $(seq "$RUNS"); do
    "$BUILD/cosyvoice-client" --host 127.0.0.1 --port "$PORT" --spk_id "$SPK" \
      --tts_text "$text" --tts_wav "$TMP/out.wav" 2>> "$TMP/$name"
  done
  printf "%-14s %9ss %9ss %8s %10s %8s\n" $name \
    "$(field first_chunk < "$TMP/$name" | median)" "$(field total < "$TMP/$name" | median)" \
    "$(field chunks < "$TMP/$name" | median)" "$(field audio < "$TMP/$name" | median)" \
    "$(field rtf < "$TMP/$name" | median)"
done
