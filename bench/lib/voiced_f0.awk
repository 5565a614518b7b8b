# Voiced frames of an aubiopitch track ("time f0" per line on stdin): prints
# the F0 of each frame kept, one per line.
#  1. in 50..500 Hz (aubiopitch gives 0 for silent frames and erratic
#     values for noise);
#  2. on a stable track: within 10 % of the previous or the next frame
#     (isolated estimates in fricatives and at onsets go);
#  3. within a factor 1.8 of the track's most common F0 (the peak of a
#     1/6-octave histogram, smoothed over three bins) - this drops octave
#     and harmonic errors, which yinfft makes on low voices whose
#     fundamental is weak (a 65 Hz voice read as its 6th harmonic ~400 Hz),
#     while keeping the whole range of a real speaker (Mandarin tones
#     included).
{ f[NR] = $2 }
END {
  n = 0
  for (i = 1; i <= NR; i++) {
    x = f[i]
    if (x < 50 || x > 500) continue
    ok = 0
    if (i > 1 && f[i - 1] > 0 && x / f[i - 1] < 1.1 && f[i - 1] / x < 1.1) ok = 1
    if (i < NR && f[i + 1] > 0 && x / f[i + 1] < 1.1 && f[i + 1] / x < 1.1) ok = 1
    if (ok) v[++n] = x
  }
  if (n == 0) exit
  for (i = 1; i <= n; i++) h[int(6 * log(v[i] / 50) / log(2))]++
  best = -1
  for (b = 0; b <= 20; b++) {
    s = h[b - 1] + 2 * h[b] + h[b + 1]
    if (s > best) { best = s; pb = b }
  }
  peak = 50 * 2 ^ ((pb + 0.5) / 6)
  for (i = 1; i <= n; i++)
    if (v[i] > peak / 1.8 && v[i] < peak * 1.8) print v[i]
}
