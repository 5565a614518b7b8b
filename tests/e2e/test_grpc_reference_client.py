"""The reference CosyVoice gRPC client (runtime/python/grpc/client.py, kept
unchanged in tests/data/reference/grpc/ with the reference's load_wav module
and its cosyvoice.proto) against the cosyvoice engine serving the tiny v1,
v2 and v3 directories, in all four of its modes. The client runs with stubs
generated from the reference's own proto, as its users have them; what it
saves must be exactly the audio our gRPC door gives a client of our proto
for the same request (fixed seed: the engine's output is repeatable).

Two deviations are the reference client's, not the server's, and are
checked as such: it writes every WAV at 22050 Hz (target_sr is hard-coded),
so the 24 kHz audio of v2/v3 is labelled 22050 Hz and plays 8% slow (our
Response.sample_rate says 24000); and instruct on the tiny v2 directory
cannot get audio, because CosyVoice2's instruct2 puts <|endofprompt|>
(text id 151646) in the LM prompt and the tiny v2 LM knows only ids < 1024
(golden README): the client gets the server's INVALID_ARGUMENT naming the
id. The v3 directory serves instruct with the same code path.

torch and torchaudio come from tests/e2e/shims (stand-ins, see its README)
unless CV_REAL_TORCH=1."""
import os
import subprocess
import wave

import grpc
import pytest

from conftest import BUILD, ROOT, cosyvoice_pb2, stub
from test_neural_engine_v2v3 import (V2_PROMPT, V2_TEXT, V3_PROMPT, V3_TEXT, add_voice, call,
                                     engine, model_dir, prompt16k, zero_shot)  # noqa: F401

REF = os.path.join(ROOT, "tests", "data", "reference", "grpc")
CLIENT = os.path.join(REF, "client.py")
SHIMS = os.path.join(ROOT, "tests", "e2e", "shims")
GOLDEN = os.path.join(ROOT, "tests", "data", "golden")
R = cosyvoice_pb2

# per family: texts the tiny model's tokenizer and LM accept, and the
# speaker for sft / instruct (v1: the tiny SFT speakers; v2/v3: a voice
# saved with cosyvoice-speaker)
FAMILIES = {
    1: dict(text="Hello there, how are you today?", prompt="希望你以后能够做的比我还好呦。",
            spk="英文男", instruct="A calm, slow narrator.", rate=22050),
    2: dict(text=V2_TEXT, prompt=V2_PROMPT, spk="mine", instruct="on the is", rate=24000),
    3: dict(text=V3_TEXT, prompt=V3_PROMPT, spk="mine", instruct="Speak slowly.", rate=24000),
}
MODES = ("sft", "zero_shot", "cross_lingual", "instruct")


@pytest.fixture(scope="module")
def reference_stubs(tmp_path_factory):
    """cosyvoice_pb2 / _grpc generated from the reference's cosyvoice.proto."""
    from grpc_tools import protoc

    out = str(tmp_path_factory.mktemp("ref_stubs"))
    rc = protoc.main(["protoc", f"-I{REF}", f"--python_out={out}", f"--grpc_python_out={out}",
                      os.path.join(REF, "cosyvoice.proto")])
    assert rc == 0
    return out


def run_client(stubs, port, tmp_path, *args):
    """The reference client; returns (exit code, stderr, (rate, pcm) or None)."""
    out = tmp_path / "client.wav"
    if out.exists():
        out.unlink()
    env = dict(os.environ)
    path = [stubs]
    if os.environ.get("CV_REAL_TORCH") != "1":
        path.insert(0, SHIMS)
    env["PYTHONPATH"] = os.pathsep.join(path + [env.get("PYTHONPATH", "")])
    p = subprocess.run(["/usr/bin/python3", CLIENT, "--host", "127.0.0.1", "--port", str(port),
                        "--tts_wav", str(out), *args], env=env, capture_output=True, text=True,
                       timeout=180)
    wav = None
    if p.returncode == 0:
        with wave.open(str(out), "rb") as w:
            assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
            wav = (w.getframerate(), w.readframes(w.getnframes()))
    return p.returncode, p.stderr, wav


def v1_dir(tmp_path):
    """The tiny v1 model with frontend-tiny's two networks (as
    test_neural_engine.py's full_model_dir)."""
    src = os.path.join(GOLDEN, "cosyvoice-v1-tiny")
    d = tmp_path / "v1"
    d.mkdir()
    for name in os.listdir(src):
        if not name.endswith((".npy", ".json")):
            os.symlink(os.path.join(src, name), d / name)
    for name in ("campplus.onnx", "speech_tokenizer_v1.onnx"):
        os.symlink(os.path.join(GOLDEN, "frontend-tiny", name), d / name)
    return d


def our_request(mode, f, pcm):
    if mode == "sft":
        return R.Request(sft_request=R.sftRequest(spk_id=f["spk"], tts_text=f["text"]))
    if mode == "zero_shot":
        return zero_shot(f["text"], f["prompt"], pcm)
    if mode == "cross_lingual":
        return R.Request(cross_lingual_request=R.crosslingualRequest(
            tts_text=f["text"], prompt_audio=pcm))
    return R.Request(instruct_request=R.instructRequest(
        tts_text=f["text"], spk_id=f["spk"], instruct_text=f["instruct"]))


@pytest.mark.parametrize("family", [1, 2, 3])
def test_reference_client_all_modes(make_server, tmp_path, prompt16k, reference_stubs, family):
    f = FAMILIES[family]
    wav, pcm = prompt16k
    if family == 1:
        srv = make_server(*engine(v1_dir(tmp_path), "seed=3", "fixed_tokens=120"))
    else:
        d = model_dir(tmp_path, family)
        voices = tmp_path / "voices.pt"
        add_voice(d, "mine", wav, f["prompt"], voices)
        srv = make_server(*engine(d, "seed=3", "fixed_tokens=120", speakers=voices))
    _, s = stub(srv.target)
    for mode in MODES:
        rc, err, got = run_client(reference_stubs, srv.port, tmp_path, "--mode", mode,
                                  "--tts_text", f["text"], "--spk_id", f["spk"],
                                  "--prompt_text", f["prompt"], "--prompt_wav", wav,
                                  "--instruct_text", f["instruct"])
        if family == 2 and mode == "instruct":
            assert rc != 0 and "INVALID_ARGUMENT" in err and "151646" in err, err
            with pytest.raises(grpc.RpcError) as e:
                call(s, our_request(mode, f, pcm))
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert e.value.details() in err
            continue
        assert rc == 0, f"{mode}: {err}"
        rate, audio = got
        assert rate == 22050, mode  # the reference client's hard-coded target_sr
        chunks, rates = call(s, our_request(mode, f, pcm))
        assert rates == {f["rate"]}, mode
        expected = b"".join(chunks)
        assert len(expected) > f["rate"], mode  # over half a second
        assert audio == expected, mode


def test_reference_client_defaults_on_v1(make_server, tmp_path, reference_stubs):
    """sft with nothing but host, port and output: the client's own Chinese
    text and speaker 中文女."""
    srv = make_server(*engine(v1_dir(tmp_path), "seed=3", "fixed_tokens=120"))
    rc, err, got = run_client(reference_stubs, srv.port, tmp_path)
    assert rc == 0, err
    _, s = stub(srv.target)
    chunks, _ = call(s, R.Request(sft_request=R.sftRequest(
        spk_id="中文女", tts_text="你好，我是通义千问语音合成大模型，请问有什么可以帮您的吗？")))
    assert got == (22050, b"".join(chunks))


PROBE = r"""
import sys, cosyvoice_pb2 as R
pcm = bytes(range(256)) * 3
reqs = [R.Request(sft_request=R.sftRequest(spk_id="中文女", tts_text="你好")),
        R.Request(zero_shot_request=R.zeroshotRequest(tts_text="a", prompt_text="b",
                                                      prompt_audio=pcm)),
        R.Request(cross_lingual_request=R.crosslingualRequest(tts_text="c", prompt_audio=pcm)),
        R.Request(instruct_request=R.instructRequest(tts_text="d", spk_id="e",
                                                     instruct_text="f"))]
for r in reqs:
    print(r.SerializeToString().hex())
resp = R.Response.FromString(bytes.fromhex(sys.argv[1]))
print(resp.tts_audio.hex())
"""


def test_our_proto_is_wire_compatible_with_the_reference(reference_stubs):
    """The four requests a reference client can send serialize to the same
    bytes under both protos, and our Response (with sample_rate and
    chunk_index, unknown to the reference) parses to the same audio."""
    ours = [R.Request(sft_request=R.sftRequest(spk_id="中文女", tts_text="你好")),
            zero_shot("a", "b", bytes(range(256)) * 3),
            R.Request(cross_lingual_request=R.crosslingualRequest(
                tts_text="c", prompt_audio=bytes(range(256)) * 3)),
            R.Request(instruct_request=R.instructRequest(tts_text="d", spk_id="e",
                                                         instruct_text="f"))]
    resp = R.Response(tts_audio=b"\x01\x02\x03\x04", sample_rate=24000, chunk_index=3)
    p = subprocess.run(["/usr/bin/python3", "-c", PROBE, resp.SerializeToString().hex()],
                       env=dict(os.environ, PYTHONPATH=reference_stubs), capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split()
    assert lines[:4] == [r.SerializeToString().hex() for r in ours]
    assert lines[4] == "01020304"
