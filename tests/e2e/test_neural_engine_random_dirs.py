"""cosyvoice-make-random-model --family v2 / v3: the directory it writes has
the official CosyVoice2-0.5B / Fun-CosyVoice3-0.5B layout and the engine
serves it. Written with --small (a few MB of weights; the full-size
directories the benchmarks use are GBs): the same writer and the same
yaml/config.json text with other numbers, so the layout, the tags and the
saved voices are what the full-size run loads. Checked: the files, that the
server starts on the directory and answers sft with a saved voice and
zero_shot through the copied front-end networks, at 24 kHz, streaming in
several chunks; bad options fail with a message."""
import os
import subprocess

import pytest

from conftest import BUILD, ROOT, cosyvoice_pb2, stub
from test_neural_engine_v2v3 import call

TOOL = os.path.join(BUILD, "cosyvoice-make-random-model")
PROMPT_WAV = os.path.join(ROOT, "tests", "data", "prompts", "zero_shot_prompt.wav")
R = cosyvoice_pb2


def make(d, *args):
    return subprocess.run([TOOL, str(d), *args, "--source", ROOT], capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("family", [2, 3])
def test_small_random_directory_is_served(make_server, tmp_path, family):
    d = tmp_path / f"v{family}"
    p = make(d, "--family", f"v{family}", "--small", "--speakers", "2")
    assert p.returncode == 0, p.stderr
    files = {os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs}
    assert files == {f"cosyvoice{family}.yaml", "llm.pt", "flow.pt", "hift.pt", "spk2info.pt",
                     "campplus.onnx", f"speech_tokenizer_v{family}.onnx",
                     "CosyVoice-BlankEN/config.json", "CosyVoice-BlankEN/vocab.json",
                     "CosyVoice-BlankEN/merges.txt", "CosyVoice-BlankEN/tokenizer_config.json"}
    yaml = (d / f"cosyvoice{family}.yaml").read_text()
    lm, flow = (("CosyVoice3LM", "CausalMaskedDiffWithDiT") if family == 3
                else ("Qwen2LM", "CausalMaskedDiffWithXvec"))
    assert f"!new:cosyvoice.llm.llm.{lm}" in yaml and f"!new:cosyvoice.flow.flow.{flow}" in yaml
    srv = make_server("--engine", "cosyvoice", "--model-dir", str(d), "--engine-opt", "seed=1",
                      "--engine-opt", "fixed_tokens=80")
    _, s = stub(srv.target)
    sf, rates = call(s, R.Request(sft_request=R.sftRequest(spk_id="speaker2",
                                                           tts_text="Hello there, my friend.")))
    assert rates == {24000} and len(sf) > 1 and all(sf)
    pcm = subprocess.run(["sox", PROMPT_WAV, "-r", "16000", "-c", "1", "-b", "16", "-t", "raw",
                          "-e", "signed", "-"], check=True, capture_output=True).stdout
    zs, rates = call(s, R.Request(zero_shot_request=R.zeroshotRequest(
        tts_text="Hello there, my friend.", prompt_text="Hello.", prompt_audio=pcm)))
    assert rates == {24000} and zs and all(zs) and b"".join(zs) != b"".join(sf)
    # unknown voice: the saved voices are the only speakers
    with pytest.raises(Exception) as e:
        call(s, R.Request(sft_request=R.sftRequest(spk_id="nobody", tts_text="Hi.")))
    assert "speaker1" in str(e.value) and "speaker2" in str(e.value)


@pytest.mark.parametrize("args, message", [
    (["--family", "v4"], "expected v1, v2 or v3"),
    (["--small"], "--small is for --family v2 / v3"),
])
def test_bad_options(tmp_path, args, message):
    p = make(tmp_path / "m", *args)
    assert p.returncode == 2 and message in p.stderr, p.stderr


def test_missing_source_tree_is_named(tmp_path):
    p = subprocess.run([TOOL, str(tmp_path / "m"), "--family", "v2", "--small", "--source",
                        str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and "nowhere" in p.stderr and "--source" in p.stderr, p.stderr
