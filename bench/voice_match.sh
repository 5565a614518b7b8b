#!/usr/bin/env bash
# Voice matching of the default engine (zero_shot, and cross_lingual as extra
# rows): does the output keep the prompt speaker's pitch and speaking rate?
# Measured with independent tools (bench/lib/measure.sh): median F0 of voiced
# frames by aubiopitch, speaking rate = syllables of the known text / seconds
# of speech (sox, pauses over 0.15 s removed), the same way for the prompt
# and for the output.
#
# Prompts: the two recordings in tests/data/prompts/ and four made by the
# engine itself through the server in instruct mode at extreme settings
# (high/deep voice, fast/slow, both genders, both languages).
# Targets: |F0 difference| <= 15 %, |rate difference| <= 25 %.
#   bench/voice_match.sh [BUILD_DIR]      (default build; KEEP=DIR keeps the audio)
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

PROMPTS=$ROOT/tests/data/prompts
ZS_TEXT="希望你以后能够做的比我还好呦。"
# The reference project's example sentence for this recording, which it
# speaks (pocketsphinx cannot transcribe it; see bench/README.md).
CL_TEXT="And then later on, fully acquiring that company. So keeping management in line, interest in line with the asset that's coming into the family is a reason why sometimes we don't buy the whole thing."
ZH_OUT="收到好友从远方寄来的生日礼物，那份意外的惊喜与深深的祝福让我心中充满了甜蜜的快乐，笑容如花儿般绽放。"
EN_OUT="The museum opens early on weekdays, so we can see the paintings before the crowds arrive and still have lunch by the river."

# Prompts made by the engine: name|speaker|instruction|text
MADE=(
  "made_zh_f_high_fast|中文女|用高音说，快一点|今天的天气特别好，我们一起去公园散步吧。"
  "made_zh_m_deep_slow|中文男|用低沉的声音，请慢一点说|这本书我已经读了三遍，每次都有新的收获。"
  "made_en_f_high_fast|英文女|Speak fast with a high pitch.|I think we should leave a little earlier tomorrow to avoid the traffic."
  "made_en_m_deep_slow|英文男|Speak slowly with a deep voice.|The old lighthouse has guided ships along this coast for many years."
)

# Cases: name|mode|prompt wav|prompt transcript|output text
CASES=(
  "zero_shot_prompt|zero_shot|$PROMPTS/zero_shot_prompt.wav|$ZS_TEXT|$ZH_OUT"
  "cross_lingual_prompt|zero_shot|$PROMPTS/cross_lingual_prompt.wav|$CL_TEXT|$EN_OUT"
)
for m in "${MADE[@]}"; do
  IFS='|' read -r name spk ins text <<< "$m"
  bench_tts "$TMP/$name.wav" --mode instruct --spk_id "$spk" --instruct_text "$ins" --tts_text "$text"
  out=$ZH_OUT
  case $name in *_en_*) out=$EN_OUT ;; esac
  CASES+=("$name|zero_shot|$TMP/$name.wav|$text|$out")
done
# cross_lingual (no transcript sent; the engine estimates the rate from the
# recording alone): the two real prompts speaking the other language.
CASES+=("zero_shot_prompt->en|cross_lingual|$PROMPTS/zero_shot_prompt.wav|$ZS_TEXT|$EN_OUT")
CASES+=("cross_lingual_prompt->zh|cross_lingual|$PROMPTS/cross_lingual_prompt.wav|$CL_TEXT|$ZH_OUT")

F0_TOL=15
RATE_TOL=25
printf "%-26s %-13s %8s %8s %7s %6s %7s %7s %7s %6s\n" prompt mode "F0_in" "F0_out" "dF0%" F0 \
  "rate_in" "rate_out" "drate%" rate
fails=0
i=0
for c in "${CASES[@]}"; do
  IFS='|' read -r name mode wav ptext otext <<< "$c"
  out=$TMP/out_$i.wav
  i=$((i + 1))
  args=(--mode "$mode" --prompt_wav "$wav" --tts_text "$otext")
  [ "$mode" = zero_shot ] && args+=(--prompt_text "$ptext")
  bench_tts "$out" "${args[@]}"
  f_in=$(f0_median "$wav")
  f_out=$(f0_median "$out")
  r_in=$(speaking_rate "$wav" "$ptext")
  r_out=$(speaking_rate "$out" "$otext")
  df=$(pct "$f_out" "$f_in")
  dr=$(pct "$r_out" "$r_in")
  vf=$(verdict "$df" -$F0_TOL $F0_TOL)
  vr=$(verdict "$dr" -$RATE_TOL $RATE_TOL)
  [ "$vf" = PASS ] || fails=$((fails + 1))
  [ "$vr" = PASS ] || fails=$((fails + 1))
  printf "%-26s %-13s %8s %8s %7s %6s %7s %7s %7s %6s\n" "$name" "$mode" "$f_in" "$f_out" "$df" "$vf" \
    "$r_in" "$r_out" "$dr" "$vr"
done
echo "F0 in Hz (aubiopitch yinfft median, voiced frames); rate in syllables/s of speech (sox);"
echo "targets: |dF0| <= ${F0_TOL}%, |drate| <= ${RATE_TOL}%; failed checks: $fails"
