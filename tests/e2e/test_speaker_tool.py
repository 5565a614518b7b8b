"""cosyvoice-speaker: saved voices in spk2info.pt.

The file the tool writes is read here the way the reference reads it
(torch.load(weights_only=True), emulated without PyTorch in torch_files.py):
keys, dtypes and shapes of add_zero_shot_spk's layout, the tensors it shares,
and the values against the reference's front-end results for the same
recording (frontend2-tiny: prompt_cut.wav, a length the CosyVoice2 trimming
cuts). A file pickled the way torch.save writes the reference's own saved
voice (its trimmed prompt mel a view of a longer storage) is read by the
tool and kept when another voice is added. A v1 directory's voice gets its
prompt text ids from the Whisper tokenizer, compared with the reference's."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from conftest import BUILD, ROOT
from torch_files import Tensor, load, save

TOOL = os.path.join(BUILD, "cosyvoice-speaker")
GOLDEN = os.path.join(ROOT, "tests", "data", "golden")
KEYS = ["prompt_text", "prompt_text_len", "llm_prompt_speech_token", "llm_prompt_speech_token_len",
        "flow_prompt_speech_token", "flow_prompt_speech_token_len", "prompt_speech_feat",
        "prompt_speech_feat_len", "llm_embedding", "flow_embedding"]


def run(*args, ok=True):
    p = subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=300)
    if ok:
        assert p.returncode == 0, p.stderr
    return p


def npy(name):
    return np.load(os.path.join(GOLDEN, "frontend2-tiny", name + ".npy"))


@pytest.fixture
def v2dir(tmp_path):
    d = tmp_path / "v2"
    shutil.copytree(os.path.join(GOLDEN, "frontend2-tiny"), d, symlinks=False)
    return d


def test_add_writes_the_reference_layout(v2dir):
    wav = str(v2dir / "prompt_cut.wav")
    ids = [151646, 9707, 11, 1879]
    p = run("add", "--model-dir", str(v2dir), "--spk-id", "my voice", "--prompt-wav", wav,
            "--prompt-text-ids", ",".join(map(str, ids)))
    assert "73 speech tokens" in p.stdout and "146 x 80 prompt mel" in p.stdout

    spk = load(str(v2dir / "spk2info.pt"))
    assert type(spk) is dict and list(spk) == ["my voice"]
    v = spk["my voice"]
    assert list(v) == KEYS
    for k in KEYS:
        want = np.float32 if k in ("prompt_speech_feat", "llm_embedding", "flow_embedding") else np.int32
        assert v[k].dtype == want, k
    assert v["prompt_text"].tolist() == [ids]
    assert v["prompt_text_len"].tolist() == [4]
    tokens = npy("fe2_cut_speech_token_trimmed")
    assert v["llm_prompt_speech_token"].shape == (1, 73)
    assert (v["llm_prompt_speech_token"] == tokens).all()
    assert v["llm_prompt_speech_token_len"].tolist() == [73]
    # one tensor for the LM and the flow, as add_zero_shot_spk stores it
    assert v["flow_prompt_speech_token"] is v["llm_prompt_speech_token"]
    assert v["flow_prompt_speech_token_len"] is v["llm_prompt_speech_token_len"]
    assert v["flow_embedding"] is v["llm_embedding"]
    feat = npy("fe2_cut_prompt_feat_trimmed")
    assert v["prompt_speech_feat"].shape == (1, 146, 80)
    assert np.abs(v["prompt_speech_feat"] - feat).max() <= 1e-3
    assert v["prompt_speech_feat_len"].tolist() == [146]
    emb = npy("fe2_cut_spk_embedding")
    assert v["llm_embedding"].shape == (1, 192)
    assert np.abs(v["llm_embedding"] - emb).max() <= 1e-3

    # list reads it back; adding the name again is refused, --replace replaces
    assert "my voice\tsaved voice: 4 prompt text ids, 73 speech tokens" in run(
        "list", "--model-dir", str(v2dir)).stdout
    p = run("add", "--model-dir", str(v2dir), "--spk-id", "my voice", "--prompt-wav", wav,
            "--prompt-text-ids", "1", ok=False)
    assert p.returncode == 1 and "already" in p.stderr and "--replace" in p.stderr
    run("add", "--model-dir", str(v2dir), "--spk-id", "my voice", "--prompt-wav", wav,
        "--prompt-text-ids", "1", "--replace")
    assert load(str(v2dir / "spk2info.pt"))["my voice"]["prompt_text"].tolist() == [[1]]
    run("remove", "--model-dir", str(v2dir), "--spk-id", "my voice")
    assert load(str(v2dir / "spk2info.pt")) == {}
    p = run("remove", "--model-dir", str(v2dir), "--spk-id", "my voice", ok=False)
    assert p.returncode == 1 and "no voice named 'my voice'" in p.stderr


def test_reads_and_keeps_a_torch_written_file(v2dir, tmp_path):
    """The reference's own saved voice as torch.save pickles it: the trimmed
    feat is prompt_speech_feat[:, :146] of a 147-frame storage, and the
    shared tensors are one object each."""
    feat_storage = npy("fe2_cut_prompt_feat").astype(np.float32).reshape(-1)
    tokens = np.ascontiguousarray(npy("fe2_cut_speech_token_trimmed").astype(np.int32).reshape(-1))
    emb = npy("fe2_cut_spk_embedding").astype(np.float32).reshape(-1)
    tok = Tensor(tokens, (1, 73))
    tok_len = Tensor(np.array([73], np.int32), (1,))
    e = Tensor(emb, (1, 192))
    voice = {
        "prompt_text": Tensor(np.array([151646, 12], np.int32), (1, 2)),
        "prompt_text_len": Tensor(np.array([2], np.int32), (1,)),
        "llm_prompt_speech_token": tok, "llm_prompt_speech_token_len": tok_len,
        "flow_prompt_speech_token": tok, "flow_prompt_speech_token_len": tok_len,
        "prompt_speech_feat": Tensor(feat_storage, (1, 146, 80), (147 * 80, 80, 1)),
        "prompt_speech_feat_len": Tensor(np.array([146], np.int32), (1,)),
        "llm_embedding": e, "flow_embedding": e,
    }
    sft = {"embedding": Tensor(emb * 0.5, (1, 192))}
    users = tmp_path / "voices.pt"
    save({"ref voice": voice, "中文女": sft}, str(users))

    out = run("list", "--speakers", str(users)).stdout.splitlines()
    assert out[0].startswith("ref voice\tsaved voice: 2 prompt text ids, 73 speech tokens, 146 x 80")
    assert out[1] == "中文女\tsft: 192-dim embedding"
    run("add", "--model-dir", str(v2dir), "--speakers", str(users), "--spk-id", "new",
        "--prompt-wav", str(v2dir / "prompt_cut.wav"), "--prompt-text-ids", "")
    back = load(str(users))
    assert list(back) == ["ref voice", "中文女", "new"]
    r = back["ref voice"]
    assert np.array_equal(r["prompt_speech_feat"].reshape(-1), feat_storage[: 146 * 80])
    assert np.array_equal(r["flow_prompt_speech_token"].reshape(-1), tokens)
    assert r["flow_embedding"] is r["llm_embedding"]
    assert np.array_equal(back["中文女"]["embedding"].reshape(-1), emb * 0.5)
    assert back["new"]["prompt_text"].shape == (1, 0)
    assert not (v2dir / "spk2info.pt").exists()  # --speakers: the model directory is untouched


def test_v1_prompt_text_ids(tmp_path):
    """CosyVoice-300M: the prompt text is tokenized with the Whisper BPE (text
    with <|..|> tags verbatim, as the reference's zero-shot front end does),
    and the prompt is not trimmed."""
    d = tmp_path / "v1"
    shutil.copytree(os.path.join(GOLDEN, "frontend-tiny"), d)
    cases = json.load(open(os.path.join(GOLDEN, "cosyvoice-v1-tiny", "tokenizer-multilingual.json")))
    case = next(c for c in cases["cases"] if c["text"].startswith("<|ja|>"))
    wav = os.path.join(ROOT, "tests", "data", "prompts", "cross_lingual_prompt.wav")
    run("add", "--model-dir", str(d), "--spk-id", "ja", "--prompt-wav", wav, "--prompt-text", case["text"])
    v = load(str(d / "spk2info.pt"))["ja"]
    assert v["prompt_text"].tolist() == [case["ids"]]
    n, frames = v["flow_prompt_speech_token"].shape[1], v["prompt_speech_feat"].shape[1]
    assert n > 0 and frames != 2 * n  # 50 Hz tokens, 22050 Hz mel: no 2:1 rule


def test_bad_input(v2dir, tmp_path):
    p = run("add", "--model-dir", str(v2dir), "--spk-id", "x", "--prompt-wav", str(v2dir / "nope.wav"),
            "--prompt-text-ids", "1", ok=False)
    assert p.returncode == 1 and "nope.wav" in p.stderr
    p = run("add", "--model-dir", str(v2dir), "--spk-id", "x", "--prompt-wav",
            str(v2dir / "prompt_cut.wav"), "--prompt-text", "hello", ok=False)
    # a v2 transcript is tokenized with the directory's Qwen2 tokenizer, which
    # frontend2-tiny does not ship: the error names where it was looked for
    assert p.returncode == 1 and "CosyVoice-BlankEN" in p.stderr
    p = run("add", "--model-dir", str(v2dir), "--spk-id", "x", "--prompt-wav",
            str(v2dir / "prompt_cut.wav"), "--prompt-text-ids", "1,-2", ok=False)
    assert p.returncode == 1 and "not a comma-separated list" in p.stderr
    p = run("add", "--model-dir", str(v2dir), "--prompt-wav", str(v2dir / "prompt_cut.wav"), ok=False)
    assert p.returncode == 2 and "usage" in p.stderr
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a zip")
    p = run("list", "--speakers", str(bad), ok=False)
    assert p.returncode == 1 and "bad.pt" in p.stderr
    assert not (v2dir / "spk2info.pt").exists()
