"""The reference CosyVoice FastAPI client (runtime/python/fastapi/client.py,
kept unchanged in tests/data/reference/fastapi/) against the server's HTTP
port: in all four of its modes it must get the audio, and that audio must be
exactly what the gRPC door gives for the same request (the tone engine's
output is exactly predictable)."""
import io
import math
import os
import re
import struct
import subprocess

import numpy as np
import pytest
import soundfile as sf

import cosyvoice_pb2
from conftest import ROOT, collect, stub
from http_util import PROMPT_WAV, TONE, error_of, infer, request, start, wav_pcm

CLIENT = os.path.join(ROOT, "tests", "data", "reference", "fastapi", "client.py")
SHIMS = os.path.join(ROOT, "tests", "e2e", "shims")


def run_reference_client(server, tmp_path, *args):
    out = str(tmp_path / "out.wav")
    env = dict(os.environ)
    if os.environ.get("CV_REAL_TORCH") != "1":
        env["PYTHONPATH"] = SHIMS + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.run(["/usr/bin/python3", CLIENT, "--host", "127.0.0.1", "--port",
                        str(server.http_port), "--tts_wav", out, *args],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return wav_pcm(out)


def prompt_pcm_16k(seconds=1.0):
    n = int(16000 * seconds)
    return struct.pack(f"<{n}h", *(int(8000 * math.sin(2 * math.pi * 220 * i / 16000))
                                   for i in range(n)))


def grpc_request(mode, text, **kw):
    R = cosyvoice_pb2
    if mode == "sft":
        return R.Request(sft_request=R.sftRequest(spk_id=kw["spk"], tts_text=text))
    if mode == "instruct":
        return R.Request(instruct_request=R.instructRequest(
            spk_id=kw["spk"], tts_text=text, instruct_text=kw["instruct"]))
    if mode == "zero_shot":
        return R.Request(zero_shot_request=R.zeroshotRequest(
            tts_text=text, prompt_text=kw["prompt_text"], prompt_audio=prompt_pcm_16k()))
    return R.Request(cross_lingual_request=R.crosslingualRequest(
        tts_text=text, prompt_audio=prompt_pcm_16k()))


@pytest.mark.parametrize("mode", ["sft", "zero_shot", "cross_lingual", "instruct"])
def test_reference_client_gets_the_grpc_audio(make_server, tmp_path, mode):
    s = start(make_server, *TONE)
    text = "One sentence. And a second one!"
    args = ["--mode", mode, "--tts_text", text, "--spk_id", "tone-high",
            "--prompt_text", "A transcript.", "--prompt_wav", PROMPT_WAV,
            "--instruct_text", "Speak softly."]
    rate, channels, pcm = run_reference_client(s, tmp_path, *args)
    assert (rate, channels) == (22050, 1)
    _, st = stub(s.target)
    chunks, _ = collect(st, grpc_request(mode, text, spk="tone-high", instruct="Speak softly.",
                                         prompt_text="A transcript."))
    expected = b"".join(chunks)
    assert len(expected) > 22050  # over half a second of tone
    assert pcm == expected
    s.wait_log(f"mode={mode} text_chars={len(text)}")


def test_reference_client_with_the_default_engine(make_server, tmp_path):
    """The client's own defaults (Chinese text, speaker 中文女) with espeak-ng."""
    s = start(make_server)
    rate, _, pcm = run_reference_client(s, tmp_path)
    assert rate == 22050
    assert len(pcm) / 2 / rate > 1.0  # seconds of speech, not a stub
    peak = max(abs(v) for v in struct.unpack(f"<{len(pcm) // 2}h", pcm))
    assert peak > 1000


def test_routes_answer_get_and_post_with_the_sample_rate(make_server):
    s = start(make_server, *TONE)
    for method in ("GET", "POST"):
        status, headers, body = request(
            s, method, "/inference_sft", "tts_text=Hi.&spk_id=tone-low",
            {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, body
        assert headers["x-sample-rate"] == "22050"
        assert headers["transfer-encoding"] == "chunked"
        assert headers["content-type"] == "audio/pcm"
        assert len(body) == 2 * int(22050 * (0.2 + 0.01 * 3))


UPLOADS = [  # (libsndfile container, encoding, rate, channels)
    ("FLAC", "PCM_16", 44100, 2),
    ("MP3", "MPEG_LAYER_III", 48000, 1),
    ("OGG", "OPUS", 48000, 2),
    ("OGG", "VORBIS", 22050, 1),
    ("AIFF", "PCM_24", 8000, 1),
    ("WAV", "FLOAT", 96000, 1),
]


@pytest.mark.parametrize("container,encoding,rate,channels", UPLOADS)
def test_prompt_upload_of_any_format_and_rate(make_server, container, encoding, rate, channels):
    """prompt_wav as the reference's load_wav takes it: any format and rate,
    mixed down and resampled to 16 kHz. A 0.4 s upload is refused with its
    length in 16 kHz samples (so the decoding and resampling are seen), a
    2 s one is spoken."""
    def encoded(seconds):
        t = np.arange(int(rate * seconds)) / rate
        x = 0.3 * np.sin(2 * np.pi * 220 * t)
        buf = io.BytesIO()
        sf.write(buf, np.repeat(x[:, None], channels, axis=1), rate, format=container,
                 subtype=encoding)
        return buf.getvalue()

    s = start(make_server, *TONE)
    status, _, body = infer(s, "cross_lingual", {"tts_text": "Hi."},
                            (("prompt_wav", "prompt", encoded(0.4)),))
    assert status == 400, body
    n = int(re.search(r"prompt_audio is (\d+) samples", error_of(body)["message"]).group(1))
    slack = 1600 if container in ("MP3", "OGG") else 2  # codec delay and padding
    assert abs(n - 6400) <= slack, n
    status, headers, body = infer(s, "cross_lingual", {"tts_text": "Hi."},
                                  (("prompt_wav", "prompt", encoded(2.0)),))
    assert status == 200 and len(body) > 0, body
