#!/usr/bin/env bash
# Prompt front-end benchmark: seconds per stage (features, speech tokenizer,
# speaker model) for a 10 s prompt on 2 threads, with a full-size random
# tokenizer (width 1280, 20 heads, 6 layers; written once to $TMPDIR) and
# the full-size CAM++ stand-in. Usage: bench/frontend.sh [BUILD_DIR] [extra args]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
shift || true
export CV_SOURCE_DIR=$ROOT
exec "$BUILD/cosyvoice-bench-frontend" --seconds 10 --threads 2 --runs 3 "$@"
