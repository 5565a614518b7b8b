# shellcheck shell=bash
# Shared helpers of the voice benchmarks (voice_match.sh, instruct_effects.sh,
# intelligibility.sh); sourced, not run. Every measurement is made by an
# independent Debian tool, never by the engine's own analysis:
#   F0        aubiopitch (aubio-tools), yinfft, on a 16 kHz copy of the file
#   durations sox (silence effect) and soxi
#   loudness  sox stats ("RMS lev dB")
#   words     pocketsphinx_continuous with Debian's en-us model
# Arithmetic is awk (mawk or gawk); no Python.

BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PS_MODEL=${PS_MODEL:-/usr/share/pocketsphinx/model/en-us}

bench_need() {
  local t missing=
  for t in sox soxi aubiopitch pocketsphinx_continuous awk; do
    command -v "$t" > /dev/null || missing="$missing $t"
  done
  if [ -n "$missing" ]; then
    echo "missing tools:$missing (Debian: sox aubio-tools pocketsphinx pocketsphinx-en-us)" >&2
    exit 2
  fi
}

# A free TCP port on 127.0.0.1: one where a connection is refused (bash's
# /dev/tcp, so no extra tool is needed).
bench_free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    (: < /dev/tcp/127.0.0.1/$p) 2> /dev/null || { echo "$p"; return; }
  done
  echo "no free port found" >&2
  return 1
}

# Starts BUILD/cosyvoice-server (default engine, or as further arguments
# say) on a free loopback port; sets BENCH_PORT and BENCH_SERVER. The
# caller's EXIT trap must call bench_stop_server.
bench_start_server() {
  local build=$1 dir=$2
  shift 2
  BENCH_PORT=$(bench_free_port)
  "$build/cosyvoice-server" --host 127.0.0.1 --port "$BENCH_PORT" "$@" \
    > "$dir/server.out" 2> "$dir/server.log" &
  BENCH_SERVER=$!
  for _ in $(seq 1200); do  # up to 2 min: neural models take a while to load
    grep -q ready "$dir/server.out" 2> /dev/null && return 0
    kill -0 "$BENCH_SERVER" 2> /dev/null || break
    sleep 0.1
  done
  echo "server did not start:" >&2
  cat "$dir/server.log" >&2
  return 1
}

bench_stop_server() {
  if [ -n "${BENCH_SERVER:-}" ]; then
    kill -TERM "$BENCH_SERVER" 2> /dev/null || true
    wait "$BENCH_SERVER" 2> /dev/null || true
    BENCH_SERVER=
  fi
}

# bench_tts OUT.wav CLIENT-ARGS... : one call through the server.
bench_tts() {
  local out=$1
  shift
  if ! "$BENCH_BUILD/cosyvoice-client" --host 127.0.0.1 --port "$BENCH_PORT" --retries 0 \
    --tts_wav "$out" "$@" 2> "$out.log"; then
    echo "client failed ($*):" >&2
    cat "$out.log" >&2
    return 1
  fi
}

# 16 kHz mono 16-bit copy, so every analysis sees the same rate and the
# same frame lengths whatever rate the file came in. No dither (-D): the
# copy, and so every figure, is the same from run to run.
to16k() { sox -V1 -D -G "$1" -r 16000 -c 1 -b 16 "$2"; }

# Median F0 in Hz over voiced frames. aubiopitch: yinfft (aubio's default
# method, default tolerance 0.3), 1024-sample window, 10 ms hop, frames
# below -45 dBFS silent; voiced frames as defined in lib/voiced_f0.awk.
# Prints "nan" when fewer than 20 voiced frames exist.
f0_median() {
  local tmp
  tmp=$(mktemp --suffix=.wav)
  to16k "$1" "$tmp"
  aubiopitch -i "$tmp" -B 1024 -H 160 -p yinfft -s -45 |
    awk -f "$BENCH_LIB/voiced_f0.awk" | median_or_nan 20
  rm -f "$tmp"
}

# Median of the numbers on stdin ("nan" when fewer than MIN, default 1).
median_or_nan() {
  sort -g | awk -v min="${1:-1}" '{ v[NR] = $1 }
    END { if (NR < min) { print "nan"; exit }
          printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

total_seconds() { soxi -D "$1"; }

# Seconds of speech: the file normalised to -1 dBFS peak, then every
# stretch quieter than -40 dB (re. full scale, so 39 dB under the peak)
# that lasts over 0.15 s removed - at the start, the end and in between.
# Shorter gaps (stop closures, short breaths) stay, as they are part of
# speaking.
speech_seconds() {
  local tmp
  tmp=$(mktemp --suffix=.wav)
  sox "$1" -p norm -1 | sox -p "$tmp" silence 1 0.02 -40d -1 0.15 -40d
  soxi -D "$tmp"
  rm -f "$tmp"
}

# RMS level of the whole file in dBFS (sox stats "RMS lev dB").
rms_db() { sox "$1" -n stats 2>&1 | awk '/^RMS lev dB/ { print $4 }'; }

# Syllables of a text: one per Han character (Mandarin: one syllable per
# character); for an English word the number of vowel phones in its first
# pronunciation in CMUdict (the pocketsphinx-en-us dictionary), and for a
# word not there the number of vowel letter groups (a e i o u y) less a
# silent final "e", at least one. Works on UTF-8 bytes so any awk will do.
syllables() {
  printf '%s\n' "$1" | LC_ALL=C awk -v dict="$PS_MODEL/cmudict-en-us.dict" '
    BEGIN { split("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW", vl, " ")
            for (i in vl) vowel[vl[i]] = 1 }
    FNR == NR { if (!($1 in pron)) { k = 0; for (i = 2; i <= NF; i++) k += ($i in vowel); pron[$1] = k }
                next }
    {
      s = $0
      han += gsub(/[\344-\351][\200-\277][\200-\277]/, " ", s)
      s = tolower(s)
      gsub(/[^a-z\047]+/, " ", s)
      n = split(s, w, " ")
      for (i = 1; i <= n; i++) {
        word = w[i]
        gsub(/^\047+|\047+$/, "", word)
        if (word == "") continue
        if (word in pron) { lat += pron[word]; continue }
        t = word
        k = gsub(/[aeiouy]+/, "", t)
        if (k > 1 && word ~ /e$/ && word !~ /le$/ && word !~ /[aeiouy]e$/) k--
        lat += (k < 1 ? 1 : k)
      }
    } END { print han + lat }' "$PS_MODEL/cmudict-en-us.dict" -
}

# Syllables per second of speech (see speech_seconds).
speaking_rate() {
  local syl sec
  syl=$(syllables "$2")
  sec=$(speech_seconds "$1")
  awk -v s="$syl" -v t="$sec" 'BEGIN { printf "%.2f\n", (t > 0) ? s / t : 0 }'
}

# Relative difference of A from B in percent: 100 * (A / B - 1).
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "nan"; else printf "%+.1f\n", 100 * (a / b - 1) }'; }

# Words pocketsphinx hears in a file (lower case, one line).
transcribe() {
  local tmp
  tmp=$(mktemp --suffix=.wav)
  to16k "$1" "$tmp"
  pocketsphinx_continuous -infile "$tmp" -hmm "$PS_MODEL/en-us" -lm "$PS_MODEL/en-us.lm.bin" \
    -dict "$PS_MODEL/cmudict-en-us.dict" -logfn /dev/null 2> /dev/null |
    tr 'A-Z' 'a-z' | tr '\n' ' ' | sed 's/  */ /g; s/^ //; s/ $//'
  rm -f "$tmp"
  echo
}

# Text as the recognizer writes words: lower case, no punctuation except
# the apostrophe inside words.
normalize_words() {
  printf '%s\n' "$1" | tr 'A-Z' 'a-z' | sed "s/[^a-z' ]/ /g; s/ '/ /g; s/' / /g; s/  */ /g; s/^ //; s/ \$//"
}

# Word errors of HYP against REF: prints "errors ref_words subs dels ins",
# from a word-level Levenshtein alignment (substitution, deletion and
# insertion cost 1 each; ties prefer substitution, then deletion).
word_errors() {
  awk -v ref="$1" -v hyp="$2" 'BEGIN {
    n = split(ref, r, " "); m = split(hyp, h, " ")
    for (i = 0; i <= n; i++) { d[i, 0] = i; op[i, 0] = "D" }
    for (j = 0; j <= m; j++) { d[0, j] = j; op[0, j] = "I" }
    for (i = 1; i <= n; i++)
      for (j = 1; j <= m; j++) {
        c = d[i - 1, j - 1] + (r[i] != h[j]); o = (r[i] == h[j]) ? "M" : "S"
        if (d[i - 1, j] + 1 < c) { c = d[i - 1, j] + 1; o = "D" }
        if (d[i, j - 1] + 1 < c) { c = d[i, j - 1] + 1; o = "I" }
        d[i, j] = c; op[i, j] = o
      }
    s = del = ins = 0; i = n; j = m
    while (i > 0 || j > 0) {
      o = op[i, j]
      if (i == 0) o = "I"; else if (j == 0) o = "D"
      if (o == "M" || o == "S") { s += (o == "S"); i--; j-- }
      else if (o == "D") { del++; i-- }
      else { ins++; j-- }
    }
    print d[n, m], n, s, del, ins
  }'
}

# PASS when the number D lies in [LO, HI], FAIL otherwise (also for nan).
verdict() {
  awk -v d="$1" -v lo="$2" -v hi="$3" 'BEGIN {
    ok = (d ~ /^[-+]?[0-9.]+$/) && (d + 0 >= lo + 0) && (d + 0 <= hi + 0)
    print ok ? "PASS" : "FAIL" }'
}

# Latency benchmarks (stream_latency.sh, http_latency.sh): the median of the
# numbers on stdin, one a line; and the number after NAME= on each line (the
# client's summary line).
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
