#!/usr/bin/env bash
# Instruct mode of the default engine: does a style instruction change the
# voice measurably? Each instructed utterance is compared with the same
# speaker and text in sft mode (no instruction), both through the server.
# Measured with independent tools (bench/lib/measure.sh):
#   slow / fast     total audio duration (soxi)      target >= +20 % / <= -20 %
#   high / low      median F0 (aubiopitch, voiced)    target >= +10 % / <= -10 %
#   soft / whisper  RMS level of the file (sox stats) target <= -6 dB
# Every speaker gets the English and the Chinese wording of each instruction.
#   bench/instruct_effects.sh [BUILD_DIR]   (KEEP=DIR keeps the audio)
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

SPEAKERS=(英文女 英文男 中文女 中文男)
EN_TEXT="The weather was pleasant, so we walked along the river and talked about our plans for the summer."
ZH_TEXT="我们明天早上在学校门口集合，然后一起坐车去博物馆参观，中午在附近的餐馆吃饭。"
# effect|instruction
INSTRUCTIONS=(
  "slow|Please speak slowly."
  "fast|Speak fast."
  "high|Speak with a high pitch."
  "low|Speak with a low, deep voice."
  "soft|Speak softly."
  "whisper|Whisper."
  "slow|请慢一点说"
  "fast|请快一点说"
  "high|用高音说"
  "low|用低沉的声音说"
  "soft|轻声说"
  "soft|小声说"
  "whisper|用耳语说"
)

# measure EFFECT FILE: the quantity the effect is judged on.
measure() {
  case $1 in
    slow | fast) total_seconds "$2" ;;
    high | low) f0_median "$2" ;;
    soft | whisper) rms_db "$2" ;;
  esac
}

printf "%-6s %-30s %-8s %-7s %8s %8s %8s %-9s %s\n" speaker instruction effect metric base instr change target verdict
fails=0
n=0
for spk in "${SPEAKERS[@]}"; do
  text=$ZH_TEXT
  case $spk in 英文*) text=$EN_TEXT ;; esac
  base=$TMP/${spk}_base.wav
  bench_tts "$base" --mode sft --spk_id "$spk" --tts_text "$text"
  declare -A basev=()
  basev[dur]=$(total_seconds "$base")
  basev[f0]=$(f0_median "$base")
  basev[rms]=$(rms_db "$base")
  for item in "${INSTRUCTIONS[@]}"; do
    IFS='|' read -r effect ins <<< "$item"
    out=$TMP/${spk}_$n.wav
    n=$((n + 1))
    bench_tts "$out" --mode instruct --spk_id "$spk" --instruct_text "$ins" --tts_text "$text"
    v=$(measure "$effect" "$out")
    case $effect in
      slow) metric=dur_s b=${basev[dur]} c=$(pct "$v" "$b") t=">=+20%" lo=20 hi=1e9 ;;
      fast) metric=dur_s b=${basev[dur]} c=$(pct "$v" "$b") t="<=-20%" lo=-100 hi=-20 ;;
      high) metric=F0_Hz b=${basev[f0]} c=$(pct "$v" "$b") t=">=+10%" lo=10 hi=1e9 ;;
      low) metric=F0_Hz b=${basev[f0]} c=$(pct "$v" "$b") t="<=-10%" lo=-100 hi=-10 ;;
      soft | whisper)
        metric=RMS_dB b=${basev[rms]} t="<=-6dB" lo=-1e9 hi=-6
        c=$(awk -v a="$v" -v b="$b" 'BEGIN { printf "%+.1f\n", a - b }') ;;
    esac
    verd=$(verdict "$c" "$lo" "$hi")
    [ "$verd" = PASS ] || fails=$((fails + 1))
    case $metric in dur_s) prec=2 ;; *) prec=1 ;; esac
    printf "%-6s %-30s %-8s %-7s %8s %8s %8s %-9s %s\n" "$spk" "$ins" "$effect" "$metric" \
      "$(printf "%.*f" $prec "$b")" "$(printf "%.*f" $prec "$v" 2> /dev/null || echo "$v")" "$c" "$t" "$verd"
  done
done
echo "change: % of the sft (no instruction) value, dB for RMS; failed checks: $fails of $n"
