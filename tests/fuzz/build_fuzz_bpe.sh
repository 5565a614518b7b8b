#!/bin/sh
# Builds the BPE tokenizer's libFuzzer target with clang, ASan and UBSan:
#   tests/fuzz/build_fuzz_bpe.sh [OUTDIR]       (default: build-fuzz/)
# then e.g. OUTDIR/fuzz_bpe -max_total_time=600 NEWCORPUS tests/fuzz/corpus/bpe
# Needs clang and libclang-rt-dev (libFuzzer), libpcre2-dev.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build-fuzz}
CC=${CLANG:-clang}
mkdir -p "$OUT"
cd "$ROOT"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
"$CC" -std=c11 -g -O1 -Wall -Wextra -D_GNU_SOURCE -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc -DCV_SOURCE_ASSETS_DIR="\"$ROOT/assets\"" \
    tests/fuzz/fuzz_bpe.c \
    src/text/bpe_tokenizer.c src/text/bpe_vocab.c src/text/bpe_vocab_path.c \
    src/text/bpe_table.c src/text/bpe_merge.c src/text/whisper_specials.c \
    src/common/base64.c src/common/utf8.c src/common/status.c src/common/log.c \
    $(pkg-config --cflags --libs libpcre2-8) \
    -o "$OUT/fuzz_bpe"
echo "built $OUT/fuzz_bpe"
