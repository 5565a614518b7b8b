#!/usr/bin/env bash
# The main job, end to end: start the server with the default engine on a free
# port, synthesize a sentence through the C client into a WAV file, stop the
# server. Usage: scripts/demo.sh [BUILD_DIR] [OUTPUT_WAV]
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-demo.wav}
PORT=${CV_DEMO_PORT:-$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}

"$BUILD/cosyvoice-server" --host 127.0.0.1 --port "$PORT" > "$BUILD/demo-server.out" 2> "$BUILD/demo-server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q ready "$BUILD/demo-server.out" 2>/dev/null && break
  kill -0 $SERVER 2>/dev/null || { cat "$BUILD/demo-server.log"; exit 1; }
  sleep 0.1
done

"$BUILD/cosyvoice-client" --host 127.0.0.1 --port "$PORT" --mode sft --spk_id 英文女 \
  --tts_text "Hello! This is a streaming speech synthesis service written in C. Each sentence is sent as soon as it is ready." \
  --tts_wav "$OUT"

kill -TERM $SERVER
wait $SERVER
trap - EXIT
echo "demo: wrote $OUT"
