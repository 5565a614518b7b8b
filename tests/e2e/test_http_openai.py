"""The official OpenAI SDK (npm package `openai`, installed from
tests/js/package-lock.json by scripts/install-deps.sh) against
POST /v1/audio/speech: all five formats as a plain stream and as SSE, each
decoded back (libsndfile through python3-soundfile, FLAC through sox
and libFLAC, WAV also with the standard library) to the speech the default engine made; and the errors the
SDK turns into its own error classes."""
import json
import os
import subprocess
import wave

import numpy as np
import pytest
import soundfile

from conftest import ROOT
from http_util import start

JS = os.path.join(ROOT, "tests", "js")


@pytest.fixture(scope="module")
def node_modules():
    if not os.path.isdir(os.path.join(JS, "node_modules", "openai")):
        pytest.fail("tests/js/node_modules is missing: run scripts/install-deps.sh")


def decode(path, fmt, rate):
    if fmt == "pcm":
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768, rate
    if fmt == "flac":
        # libsndfile's FLAC reader gives up on a stream whose STREAMINFO
        # says "length unknown" (valid FLAC); sox reads it with libFLAC.
        raw = subprocess.run(["sox", path, "-t", "raw", "-e", "signed", "-b", "16", "-"],
                             capture_output=True, check=True).stdout
        info = subprocess.run(["soxi", "-r", path], capture_output=True, text=True, check=True)
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768, int(info.stdout)
    # Read in blocks: a stream's header may not know its length (FLAC's
    # total samples 0, WAV sizes 0xFFFFFFFF), which libsndfile reports as
    # a huge frame count.
    with soundfile.SoundFile(path) as f:
        blocks = []
        while len(b := f.read(65536, dtype="float32")):
            blocks.append(b)
        return np.concatenate(blocks), f.samplerate


def test_openai_sdk_all_formats_and_stream_formats(make_server, tmp_path, node_modules):
    s = start(make_server)
    p = subprocess.run(["node", os.path.join(JS, "openai_speech.mjs"), s.base, str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout.strip().splitlines()[-1])
    types = {"wav": "audio/wav", "pcm": "audio/pcm", "flac": "audio/flac", "mp3": "audio/mpeg",
             "opus": "audio/ogg"}
    durations = {}
    for fmt, info in summary["files"].items():
        assert info["type"] == types[fmt]
        assert info["rate"] == {"pcm": 24000, "opus": 24000}.get(fmt, 22050)
        for kind in ("audio", "sse"):
            data, sr = decode(str(tmp_path / f"{kind}.{fmt}"), fmt, info["rate"])
            assert sr == info["rate"], (fmt, kind)
            secs = len(data) / sr
            assert np.abs(data).max() > 0.05, (fmt, kind)  # speech, not silence
            durations[(fmt, kind)] = secs
    # Every format carries the same sentence: same length within codec padding.
    plain = [v for (f, k), v in durations.items() if k == "audio"]
    assert max(plain) - min(plain) < 0.2, durations
    assert 2.0 < min(plain)
    # "Speak slowly." in the SSE requests: instruct mode, longer audio.
    assert durations[("wav", "sse")] > 1.15 * durations[("wav", "audio")]
    with wave.open(str(tmp_path / "audio.wav")) as w:  # a reader that trusts the header
        assert w.getframerate() == 22050 and w.readframes(10)
    for fmt, info in summary["sse"].items():
        assert info["type"] == "text/event-stream"
        assert info["types"] == ["speech.audio.delta", "speech.audio.done"], info
        assert info["deltas"] > 1 and info["last"] == "speech.audio.done"
        assert info["usage"]["input_tokens"] > 0 and info["usage"]["output_tokens"] > 0
    errors = summary["errors"]
    assert errors["aac"]["status"] == 400 and errors["aac"]["name"] == "BadRequestError"
    assert "pcm, wav, flac, mp3, opus" in errors["aac"]["message"]
    assert errors["aac"]["param"] == "response_format"
    assert errors["voice"]["status"] == 404 and errors["voice"]["name"] == "NotFoundError"
    assert errors["voice"]["code"] == "voice_not_found"
    assert errors["speed"]["status"] == 400 and errors["speed"]["param"] == "speed"
    assert errors["empty"]["status"] == 400 and "empty" in errors["empty"]["message"]
