"""The HTTP door in front of the neural engine (the tiny random CosyVoice-300M
and Fun-CosyVoice3 directories of the golden data): the reference routes
give exactly the audio of the equivalent gRPC call, X-Sample-Rate is the
model's rate (24 kHz for v3), /inference_instruct2 (the reference FastAPI
server's instruction + prompt recording route) is served by a CosyVoice3
model, and a CosyVoice-300M model refuses it with 400 mode_unsupported."""
import json
import os
import subprocess

import pytest

from conftest import ROOT, stub
from http_util import PROMPT_WAV, error_of, infer, speech, start
from test_neural_engine_v2v3 import (V3_PROMPT, V3_TEXT, add_voice, call, engine, model_dir,
                                     prompt16k, zero_shot)  # noqa: F401 (fixture)
import cosyvoice_pb2 as R

V1_MODEL = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")
INSTRUCT = "Speak slowly."


@pytest.fixture
def v3_server(make_server, tmp_path, prompt16k):  # noqa: F811
    d = model_dir(tmp_path, 3)
    wav, pcm = prompt16k
    spk = tmp_path / "voices.pt"
    add_voice(d, "mine", wav, V3_PROMPT, spk)
    srv = start(make_server, *engine(d, "seed=5", "fixed_tokens=60", speakers=spk))
    return srv, wav, pcm


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_v3_instruct2_is_the_grpc_instruct_with_a_recording(v3_server, method):
    srv, wav, pcm = v3_server
    wav_bytes = open(wav, "rb").read()
    # the reference client's way: a GET with a multipart form body; a spk_id
    # is not a field of the reference's instruct2 and is ignored
    status, headers, body = infer(srv, "instruct2", {"tts_text": V3_TEXT, "instruct_text": INSTRUCT,
                                                     "spk_id": "mine"},
                                  (("prompt_wav", "p.wav", wav_bytes),), method=method,
                                  timeout=120)
    assert status == 200, body
    assert headers["x-sample-rate"] == "24000"
    _, s = stub(srv.target)
    chunks, rates = call(s, R.Request(instruct_request=R.instructRequest(
        tts_text=V3_TEXT, instruct_text=INSTRUCT, prompt_audio=pcm)))
    assert rates == {24000} and len(body) > 2400
    assert body == b"".join(chunks)
    # and it is the instruct of the saved voice made from that recording
    status, _, saved = infer(srv, "instruct", {"tts_text": V3_TEXT, "instruct_text": INSTRUCT,
                                               "spk_id": "mine"}, timeout=120)
    assert status == 200 and saved == body
    srv.wait_log("mode=instruct")


def test_web_page_instruct2_on_v3(v3_server, tmp_path):
    """The web page's instruct2 mode in chromium (tests/js/page_test.mjs):
    the recording and the instruction reach /inference_instruct2 (without
    either the route answers 400) and the 24 kHz answer plays."""
    srv, _, _ = v3_server
    js = os.path.join(ROOT, "tests", "js")
    assert os.path.isdir(os.path.join(js, "node_modules", "playwright-core")), \
        "tests/js/node_modules is missing: run scripts/install-deps.sh"
    p = subprocess.run(["node", os.path.join(js, "page_test.mjs"), srv.base,
                        str(tmp_path / "shot.png"), PROMPT_WAV, "0", "instruct2"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["page_errors"] == []
    i2 = r["instruct2"]
    assert i2["state"] == "done" and i2["decoded_s"] > 0.1, i2
    assert "/inference_instruct2" in r["curl"] and "prompt_wav=@" in r["curl"]
    srv.wait_log("mode=instruct")


def test_v3_zero_shot_and_openai_speech(v3_server):
    srv, wav, pcm = v3_server
    status, headers, body = infer(srv, "zero_shot", {"tts_text": V3_TEXT, "prompt_text": V3_PROMPT},
                                  (("prompt_wav", "p.wav", open(wav, "rb").read()),), timeout=120)
    assert status == 200 and headers["x-sample-rate"] == "24000", body
    _, s = stub(srv.target)
    chunks, _ = call(s, zero_shot(V3_TEXT, V3_PROMPT, pcm))
    assert body == b"".join(chunks)
    # /v1/audio/speech with the saved voice: WAV at the model's rate
    status, headers, wav_out = speech(srv, {"input": V3_TEXT, "voice": "mine",
                                            "response_format": "wav"}, timeout=120)
    assert status == 200 and headers["x-sample-rate"] == "24000", wav_out
    assert wav_out[:4] == b"RIFF" and int.from_bytes(wav_out[24:28], "little") == 24000


def test_instruct2_needs_its_fields(v3_server):
    srv, wav, _ = v3_server
    cases = [({"tts_text": V3_TEXT}, (("prompt_wav", "p.wav", open(wav, "rb").read()),),
              "instruct_text"),
             ({"tts_text": V3_TEXT, "instruct_text": INSTRUCT}, (), "prompt_wav")]
    for fields, files, param in cases:
        status, _, body = infer(srv, "instruct2", fields, files)
        assert status == 400, body
        err = error_of(body)
        assert err["param"] == param and param in err["message"], err


def test_v1_refuses_instruct2(make_server, prompt16k):  # noqa: F811
    srv = start(make_server, "--engine", "cosyvoice", "--model-dir", V1_MODEL,
                "--engine-opt", "seed=1", "--engine-opt", "fixed_tokens=60")
    wav, _ = prompt16k
    status, _, body = infer(srv, "instruct2", {"tts_text": "Hello.", "instruct_text": INSTRUCT},
                            (("prompt_wav", "p.wav", open(wav, "rb").read()),))
    assert status == 400, body
    err = error_of(body)
    assert err["code"] == "mode_unsupported" and "CosyVoice2/3" in err["message"], err
    status, headers, body = infer(srv, "sft", {"tts_text": "Hello.", "spk_id": "英文女"},
                                  timeout=120)
    assert status == 200 and headers["x-sample-rate"] == "22050" and body
