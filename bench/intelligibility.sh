#!/usr/bin/env bash
# Intelligibility of the default engine's English speakers: each sentence of
# bench/data/english_sentences.txt is synthesized through the server (sft
# mode) by each English preset speaker, transcribed by pocketsphinx (Debian's
# en-us acoustic model, its general en-us language model and CMUdict), and
# scored by word error rate (word-level Levenshtein alignment, awk).
# Target: WER <= 15 % per speaker.
#   bench/intelligibility.sh [BUILD_DIR]    (KEEP=DIR keeps audio and transcripts;
#                                            VERBOSE=1 prints every sentence)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BENCH_BUILD=$(cd "${1:-$ROOT/build}" && pwd)
# shellcheck source=bench/lib/measure.sh
. "$HERE/lib/measure.sh"
bench_need
TMP=${KEEP:-$(mktemp -d)}
mkdir -p "$TMP"
trap 'bench_stop_server; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
bench_start_server "$BENCH_BUILD" "$TMP"
: > "$TMP/transcripts.tsv"

SENTENCES=$HERE/data/english_sentences.txt
SPEAKERS=(英文女 英文男)
TARGET=15

printf "%-8s %9s %6s %5s %5s %5s %5s %7s %s\n" speaker sentences words errors sub del ins "WER%" verdict
fails=0
for spk in "${SPEAKERS[@]}"; do
  tot_e=0 tot_n=0 tot_s=0 tot_d=0 tot_i=0 k=0
  while IFS= read -r sentence; do
    [ -n "$sentence" ] || continue
    k=$((k + 1))
    wav=$TMP/${spk}_$k.wav
    bench_tts "$wav" --mode sft --spk_id "$spk" --tts_text "$sentence"
    ref=$(normalize_words "$sentence")
    hyp=$(transcribe "$wav")
    read -r e n s d i <<< "$(word_errors "$ref" "$hyp")"
    printf '%s\t%s\t%s\t%s\n' "$spk" "$e/$n" "$ref" "$hyp" >> "$TMP/transcripts.tsv"
    [ -n "${VERBOSE:-}" ] && printf '  %-6s %2s/%-2s ref: %s\n%16s hyp: %s\n' "$spk" "$e" "$n" "$ref" "" "$hyp"
    tot_e=$((tot_e + e)) tot_n=$((tot_n + n)) tot_s=$((tot_s + s)) tot_d=$((tot_d + d)) tot_i=$((tot_i + i))
  done < "$SENTENCES"
  wer=$(awk -v e=$tot_e -v n=$tot_n 'BEGIN { printf "%.1f\n", 100 * e / n }')
  verd=$(verdict "$wer" 0 $TARGET)
  [ "$verd" = PASS ] || fails=$((fails + 1))
  printf "%-8s %9s %6s %5s %5s %5s %5s %7s %s\n" "$spk" "$k" "$tot_n" "$tot_e" "$tot_s" "$tot_d" \
    "$tot_i" "$wer" "$verd"
done
echo "recognizer: pocketsphinx_continuous, $PS_MODEL (en-us, en-us.lm.bin, cmudict-en-us.dict);"
echo "target: WER <= ${TARGET}% per speaker; failed checks: $fails"
