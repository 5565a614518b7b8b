#!/usr/bin/env bash
# HTTP door vs gRPC: time to first byte of audio and total time for the same
# text and speaker (default engine unless ENGINE/MODEL_DIR say otherwise),
# median of RUNS, one server serving both doors:
#   grpc          the C client (bench/stream_latency.sh's measurement)
#   inference_sft the reference route, raw PCM (bench/lib/http_ttfb.py: time
#                 to the first body byte, not to the headers)
#   speech pcm    POST /v1/audio/speech, pcm (resampled to 24 kHz)
#   speech wav/mp3/opus  the same, encoded while streaming
#   web page      Debian's chromium (playwright-core) pressing Speak: time to
#                 the first audio the page schedules, and to the last byte
#   bench/http_latency.sh [BUILD_DIR]     env: RUNS=5 ENGINE=espeak SPK=英文女
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
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
HTTP_PORT=$(bench_free_port)
bench_start_server "$BUILD" "$TMP" --engine "$ENGINE" --http-port "$HTTP_PORT" "${EXTRA[@]}"
PORT=$BENCH_PORT
BASE=http://127.0.0.1:$HTTP_PORT
# The web page types this text itself (tests/js/page_test.mjs).
TEXT="Good morning. This sentence is played while it is still being made."

row() { printf "%-16s %11ss %9ss\n" "$1" "$(median < "$2")" "$(median < "$3")"; }

printf "engine=%s speaker=%s runs=%s cores=%s cpu=%s\n" "$ENGINE" "$SPK" "$RUNS" "$(nproc)" \
  "$(lscpu | sed -n 's/^Model name: *//p')"
printf "text: %s\n" "$TEXT"
printf "%-16s %12s %10s\n" path first_byte total

: > "$TMP/grpc"
for _ in $(seq "$RUNS"); do
  "$BUILD/cosyvoice-client" --host 127.0.0.1 --port "$PORT" --spk_id "$SPK" \
    --tts_text "$TEXT" --tts_wav "$TMP/out.wav" 2>> "$TMP/grpc"
done
field first_chunk < "$TMP/grpc" > "$TMP/g1"
field total < "$TMP/grpc" > "$TMP/g2"
row grpc "$TMP/g1" "$TMP/g2"

http_runs() { # name, then http_ttfb.py arguments
  local name=$1
  shift
  : > "$TMP/$name.1"
  : > "$TMP/$name.2"
  for _ in $(seq "$RUNS"); do
    /usr/bin/python3 "$HERE/lib/http_ttfb.py" "$@" > "$TMP/t"
    awk '{print $1}' "$TMP/t" >> "$TMP/$name.1"
    awk '{print $2}' "$TMP/t" >> "$TMP/$name.2"
  done
  row "$name" "$TMP/$name.1" "$TMP/$name.2"
}
http_runs inference_sft "$BASE/inference_sft" form "tts_text=$TEXT" "spk_id=$SPK"
for fmt in pcm wav mp3 opus; do
  http_runs "speech $fmt" "$BASE/v1/audio/speech" json \
    "{\"input\": \"$TEXT\", \"voice\": \"$SPK\", \"response_format\": \"$fmt\"}"
done

if [ -d "$ROOT/tests/js/node_modules/playwright-core" ] && [ -x /usr/bin/chromium ]; then
  node "$ROOT/tests/js/page_test.mjs" "$BASE" "$TMP/page.png" \
    "$ROOT/tests/data/prompts/zero_shot_prompt.wav" "$RUNS" > "$TMP/page.json"
  /usr/bin/python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
for key, out in (("ttfa_ms", sys.argv[2]), ("total_ms", sys.argv[3])):
    with open(out, "w") as f:
        f.write("".join(f"{r[key] / 1000:.4f}\n" for r in runs))
' "$TMP/page.json" "$TMP/p1" "$TMP/p2"
  row "web page" "$TMP/p1" "$TMP/p2"
else
  echo "web page: skipped (run scripts/install-deps.sh for chromium and playwright-core)"
fi
