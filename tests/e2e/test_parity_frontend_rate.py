"""cosyvoice-parity --only frontend takes the recording's rate and the arrays'
shapes from the golden directory's FRONTEND.json, not from assumptions: a
golden directory made from the 22.05 kHz prompt (cross_lingual_prompt.wav)
passes, and the same directory claiming 24 kHz, or a wrong shape, fails.

The reference data here is computed with an independent numpy version of
torchaudio.functional.resample at its defaults (sinc_interp_hann, lowpass
width 6, rolloff 0.99; the algorithm of torchaudio's
_get_sinc_resample_kernel / _apply_sinc_resample_kernel), since the shared
golden data has no 22.05 kHz recording."""
import json
import math
import os
import shutil
import subprocess
import wave

import numpy as np

from conftest import BUILD, ROOT

PARITY = os.path.join(BUILD, "cosyvoice-parity")


def torchaudio_resample(x, orig, new, width=6, rolloff=0.99):
    g = math.gcd(orig, new)
    orig, new = orig // g, new // g
    base = min(orig, new) * rolloff
    w = math.ceil(width * orig / base)
    idx = np.arange(-w, w + orig, dtype=np.float64)[None, :] / orig
    t = (np.arange(0, -new, -1, dtype=np.float64)[:, None] / new + idx) * base
    t = np.clip(t, -width, width)
    window = np.cos(t * math.pi / width / 2) ** 2
    t = t * math.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(t == 0, 1.0, np.sin(t) / t)
    kernel = (k * window * base / orig).astype(np.float32)  # [new, 2w + orig]
    padded = np.concatenate([np.zeros(w, np.float32), x.astype(np.float32), np.zeros(w + orig, np.float32)])
    n_frames = (len(padded) - kernel.shape[1]) // orig + 1
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(n_frames, kernel.shape[1]), strides=(padded.strides[0] * orig, padded.strides[0]))
    out = (frames.astype(np.float64) @ kernel.T.astype(np.float64)).reshape(-1)
    return out[: math.ceil(new * len(x) / orig)].astype(np.float32)


def make_golden(d, claimed_rate=22050, bad_shape=False):
    with wave.open(os.path.join(ROOT, "tests", "data", "prompts", "cross_lingual_prompt.wav")) as f:
        assert f.getframerate() == 22050 and f.getsampwidth() == 2 and f.getnchannels() == 1
        x = np.frombuffer(f.readframes(f.getnframes()), "<i2").astype(np.float32) / 32768
    x = x[: 22050 * 3]  # 3 s is plenty
    s16 = torchaudio_resample(x, 22050, 16000)
    s24 = torchaudio_resample(x, 22050, 24000)
    os.makedirs(d)
    shutil.copy(os.path.join(ROOT, "tests", "data", "golden", "frontend2-tiny", "cosyvoice2.yaml"), d)
    for name, a in (("fe2_wav", x), ("fe2_speech_16k", s16), ("fe2_speech_24k", s24)):
        np.save(os.path.join(d, name + ".npy"), a[None, :])
    shapes = {"fe2_wav": [1, len(x)], "fe2_speech_16k": [1, len(s16) + (1 if bad_shape else 0)],
              "fe2_speech_24k": [1, len(s24)]}
    desc = {"wav_file": "cross_lingual_prompt.wav", "wav_sample_rate": claimed_rate,
            "rates": {"wav": claimed_rate, "prompt_feat": 24000}, "shapes": shapes}
    with open(os.path.join(d, "FRONTEND.json"), "w") as f:
        json.dump(desc, f)


def parity(d):
    return subprocess.run([PARITY, "--golden", d, "--only", "frontend"], capture_output=True,
                          text=True, timeout=120)


def test_22050_recording(tmp_path):
    d = str(tmp_path / "g")
    make_golden(d)
    p = parity(d)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "recording 22050 Hz, prompt mel 24000 Hz from the recording" in p.stdout
    lines = {l.split()[0]: l for l in p.stdout.splitlines() if l.startswith("fe2_")}
    assert lines["fe2_speech_16k"].endswith("ok (tolerance 1e-04)")
    assert lines["fe2_speech_24k"].endswith("ok (tolerance 1e-04)")


def test_rate_and_shapes_come_from_frontend_json(tmp_path):
    d = str(tmp_path / "claims24k")
    make_golden(d, claimed_rate=24000)
    p = parity(d)
    assert p.returncode == 1 and "fe2_speech_16k" in p.stdout and "FAIL" in p.stdout, p.stdout
    d = str(tmp_path / "badshape")
    make_golden(d, bad_shape=True)
    p = parity(d)
    assert p.returncode == 1 and "FRONTEND.json says [1," in p.stdout, p.stdout
    os.remove(os.path.join(d, "FRONTEND.json"))
    p = parity(d)
    assert p.returncode == 1 and "no FRONTEND.json" in p.stdout, p.stdout
