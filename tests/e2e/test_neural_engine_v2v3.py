"""The cosyvoice engine serving CosyVoice2 and CosyVoice3 directories (the
tiny golden models with random weights, combined with frontend2-tiny's
campplus.onnx and speech tokenizer; the v3 directory uses that 25 Hz
tokenizer as its speech_tokenizer_v3.onnx stand-in). Checked: every mode
answers 24 kHz audio and streams several chunks; a saved voice made by
cosyvoice-speaker gives in sft exactly the audio of the equivalent zero_shot
request; v3's default system prompt equals writing it out; concurrent calls
equal sequential ones; a broken directory fails at start-up naming the
file. The tiny v2 LM knows only text ids < 1024 (golden README), so v2
texts are made of such tokens, and instruct (whose <|endofprompt|> is id
151646) is exercised on v3."""
import concurrent.futures
import os
import shutil
import subprocess

import grpc
import pytest

from conftest import BUILD, ROOT, SERVER, collect, cosyvoice_pb2, stub

GOLDEN = os.path.join(ROOT, "tests", "data", "golden")
FRONTEND2 = os.path.join(GOLDEN, "frontend2-tiny")
PROMPT_WAV = os.path.join(ROOT, "tests", "data", "prompts", "zero_shot_prompt.wav")
SPEAKER = os.path.join(BUILD, "cosyvoice-speaker")
CLIENT = os.path.join(BUILD, "cosyvoice-client")
V2_TEXT = "a to be in the and is on the con for the is."
V2_PROMPT = "on the is"
V3_TEXT = "Hello there, how are you doing today my friend?"
V3_PROMPT = "Hello."
R = cosyvoice_pb2


def model_dir(tmp_path, family, copy=()):
    """An official-looking directory: the tiny model's files (symlinked, or
    copied when a test breaks them) plus the prompt front end."""
    src = os.path.join(GOLDEN, f"cosyvoice{family}-tiny")
    d = tmp_path / f"v{family}"
    d.mkdir()
    for name in ("CosyVoice-BlankEN", f"cosyvoice{family}.yaml", "flow.pt", "hift.pt", "llm.pt"):
        if name == "CosyVoice-BlankEN" and name not in copy:
            (d / name).mkdir()
            for f in os.listdir(os.path.join(src, name)):
                os.symlink(os.path.join(src, name, f), d / name / f)
        elif name in copy:
            (shutil.copytree if os.path.isdir(os.path.join(src, name)) else shutil.copy)(
                os.path.join(src, name), d / name)
        else:
            os.symlink(os.path.join(src, name), d / name)
    # what an official directory also ships and the engine does not read
    for junk in ("flow.encoder.fp32.zip", "flow.decoder.estimator.fp32.mygpu.plan",
                 "flow.decoder.estimator.fp32.onnx", "CosyVoice-BlankEN/model.safetensors"):
        (d / junk).write_bytes(b"not read")
    os.symlink(os.path.join(FRONTEND2, "campplus.onnx"), d / "campplus.onnx")
    os.symlink(os.path.join(FRONTEND2, "speech_tokenizer_v2.onnx"),
               d / f"speech_tokenizer_v{family}.onnx")
    return d


@pytest.fixture
def prompt16k(tmp_path):
    """The prompt as a 16 kHz wav and its PCM: the speaker tool and a request
    then see the same samples."""
    wav = str(tmp_path / "prompt16k.wav")
    subprocess.run(["sox", PROMPT_WAV, "-r", "16000", "-c", "1", "-b", "16", wav], check=True)
    pcm = subprocess.run(["sox", wav, "-t", "raw", "-e", "signed", "-b", "16", "-"], check=True,
                         capture_output=True).stdout
    return wav, pcm


def add_voice(d, name, wav, text, speakers):
    p = subprocess.run([SPEAKER, "add", "--model-dir", str(d), "--spk-id", name, "--prompt-wav",
                        wav, "--prompt-text", text, "--speakers", str(speakers)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


def engine(d, *opts, speakers=None):
    args = ["--engine", "cosyvoice", "--model-dir", str(d)]
    if speakers:
        args += ["--speakers", str(speakers)]
    for o in opts:
        args += ["--engine-opt", o]
    return args


def call(s, req):
    chunks, rates = [], set()
    for resp in s.Inference(req, timeout=120):
        chunks.append(resp.tts_audio)
        rates.add(resp.sample_rate)
    return chunks, rates


def zero_shot(text, prompt_text, pcm, **kw):
    return R.Request(zero_shot_request=R.zeroshotRequest(
        tts_text=text, prompt_text=prompt_text, prompt_audio=pcm), **kw)


def test_v2_modes_and_saved_voice_round_trip(make_server, tmp_path, prompt16k):
    d = model_dir(tmp_path, 2)
    wav, pcm = prompt16k
    spk = tmp_path / "voices.pt"
    add_voice(d, "mine", wav, V2_PROMPT, spk)
    srv = make_server(*engine(d, "seed=3", "fixed_tokens=120", speakers=spk))
    _, s = stub(srv.target)
    zs, rates = call(s, zero_shot(V2_TEXT, V2_PROMPT, pcm))
    assert rates == {24000} and len(zs) > 1 and all(zs)
    # sft with the saved voice is zero_shot with its prompt: the same audio
    sf, rates = call(s, R.Request(sft_request=R.sftRequest(spk_id="mine", tts_text=V2_TEXT)))
    assert rates == {24000} and b"".join(sf) == b"".join(zs)
    cl, rates = call(s, R.Request(cross_lingual_request=R.crosslingualRequest(
        tts_text=V2_TEXT, prompt_audio=pcm), disable_streaming=True))
    assert rates == {24000} and len(cl) == 1 and cl[0] and cl[0] != zs[0]
    # two concurrent calls give what they give one after the other
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        both = list(ex.map(lambda _: b"".join(call(s, zero_shot(V2_TEXT, V2_PROMPT, pcm))[0]),
                           range(2)))
    assert both == [b"".join(zs)] * 2
    # our C client
    out = tmp_path / "c.wav"
    p = subprocess.run([CLIENT, "--host", "127.0.0.1", "--port", str(srv.port), "--mode",
                        "zero_shot", "--prompt_text", V2_PROMPT, "--prompt_wav", wav,
                        "--tts_text", V2_TEXT, "--tts_wav", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "rate=24000" in p.stderr, p.stderr
    rate = subprocess.run(["soxi", "-r", str(out)], capture_output=True, text=True).stdout
    assert rate.strip() == "24000"


def test_v3_modes_system_prompt_and_instruct2(make_server, tmp_path, prompt16k):
    d = model_dir(tmp_path, 3)
    wav, pcm = prompt16k
    spk = tmp_path / "voices.pt"
    add_voice(d, "mine", wav, V3_PROMPT, spk)
    srv = make_server(*engine(d, "seed=5", "fixed_tokens=120", speakers=spk))
    _, s = stub(srv.target)
    zs, rates = call(s, zero_shot(V3_TEXT, V3_PROMPT, pcm))
    assert rates == {24000} and zs and all(zs)
    # without <|endofprompt|> the reference examples' system prompt goes first
    explicit, _ = call(s, zero_shot(V3_TEXT, "You are a helpful assistant.<|endofprompt|>"
                                    + V3_PROMPT, pcm))
    assert b"".join(explicit) == b"".join(zs)
    other, _ = call(s, zero_shot(V3_TEXT, "Speak slowly.<|endofprompt|>" + V3_PROMPT, pcm))
    assert b"".join(other) != b"".join(zs)
    sf, _ = call(s, R.Request(sft_request=R.sftRequest(spk_id="mine", tts_text=V3_TEXT)))
    assert b"".join(sf) == b"".join(zs)
    ins, rates = call(s, R.Request(instruct_request=R.instructRequest(
        tts_text=V3_TEXT, spk_id="mine", instruct_text="Speak slowly.")))
    assert rates == {24000} and ins and all(ins) and b"".join(ins) != b"".join(zs)
    cl, rates = call(s, R.Request(cross_lingual_request=R.crosslingualRequest(
        tts_text=V3_TEXT, prompt_audio=pcm)))
    assert rates == {24000} and cl and all(cl)
    # instruct2 with a fresh recording (instructRequest.prompt_audio, field 16):
    # the same conditioning as the saved voice made from that recording
    ins_audio, rates = call(s, R.Request(instruct_request=R.instructRequest(
        tts_text=V3_TEXT, instruct_text="Speak slowly.", prompt_audio=pcm)))
    assert rates == {24000} and b"".join(ins_audio) == b"".join(ins)
    with pytest.raises(grpc.RpcError) as e:
        call(s, R.Request(instruct_request=R.instructRequest(
            tts_text=V3_TEXT, spk_id="mine", instruct_text="Speak slowly.", prompt_audio=pcm)))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "not both" in e.value.details()
    out = tmp_path / "c.wav"
    p = subprocess.run([CLIENT, "--host", "127.0.0.1", "--port", str(srv.port), "--mode",
                        "instruct", "--instruct_text", "Speak slowly.", "--prompt_wav", wav,
                        "--tts_text", V3_TEXT, "--tts_wav", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "rate=24000" in p.stderr, p.stderr


def corrupt(path):
    with open(path, "r+b") as f:
        f.truncate(max(1, os.path.getsize(path) // 3))


@pytest.mark.parametrize("name", ["llm.pt", "flow.pt", "hift.pt", "cosyvoice2.yaml",
                                  "CosyVoice-BlankEN/config.json"])
@pytest.mark.parametrize("how", ["missing", "corrupt"])
def test_broken_v2_directory_fails_at_start(tmp_path, name, how):
    top = name.split("/")[0]
    d = model_dir(tmp_path, 2, copy=(top,))
    path = d / name
    if how == "missing":
        os.remove(path)
    else:
        corrupt(path)
    p = subprocess.run([SERVER, *engine(d), "--port", "0"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode != 0
    if how == "missing" and name == "cosyvoice2.yaml":
        assert "cosyvoice" in p.stderr and ".yaml" in p.stderr, p.stderr
    else:
        assert os.path.basename(name) in p.stderr, p.stderr


@pytest.mark.parametrize("family", [2, 3])
def test_first_hop_brings_the_first_chunk_forward(make_server, tmp_path, prompt16k, family):
    """--engine-opt first_hop=15 (the triton runtime's): the first chunk
    after 15 tokens instead of 25 + the prompt pad, then the reference's hops
    (50, 100), so 170 tokens stream in one chunk more; the same amount of
    audio, every chunk real. Too short a first hop is refused at start-up."""
    d = model_dir(tmp_path, family)
    _, pcm = prompt16k
    text, prompt = (V2_TEXT, V2_PROMPT) if family == 2 else (V3_TEXT, V3_PROMPT)
    got = {}
    for opt in ("seed=3", "first_hop=15"):
        srv = make_server(*engine(d, "seed=3", "fixed_tokens=170", opt))
        _, s = stub(srv.target)
        got[opt], rates = call(s, zero_shot(text, prompt, pcm))
        assert rates == {24000}
    ref, fast = got["seed=3"], got["first_hop=15"]
    spf, held = 480, 8  # samples per mel frame, mel frames a streamed chunk holds back
    assert len(ref) == 3 and len(ref[1]) == 2 * (50 * 2 * spf)
    assert len(fast) == 4
    assert len(fast[0]) == 2 * (15 * 2 - held) * spf < len(ref[0])
    assert [len(c) for c in fast[1:3]] == [2 * 50 * 2 * spf, 2 * 100 * 2 * spf]
    assert sum(map(len, fast)) == sum(map(len, ref)) == 2 * 170 * 2 * spf
    for c in fast:
        samples = memoryview(c).cast("h")
        assert max(samples) > 0 > min(samples)
    for bad, why in (("first_hop=4", "at least 5 tokens"), ("first_hop=101", "at most the max hop")):
        p = subprocess.run([SERVER, *engine(d, bad), "--port", "0"], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode != 0 and why in p.stderr and bad in p.stderr, p.stderr


@pytest.mark.parametrize("family", [2, 3])
def test_short_prompts_that_validation_accepts_are_served(make_server, tmp_path, prompt16k,
                                                         family):
    """Prompts from validation's 0.5 s minimum up are served by CosyVoice2/3
    too (v1's front end refused those under 2 s with an internal ONNX
    message: CAM++'s 100-frame segment pooling, which v2/v3 share), in both
    prompt modes."""
    d = model_dir(tmp_path, family)
    _, pcm = prompt16k
    text, prompt = (V2_TEXT, V2_PROMPT) if family == 2 else (V3_TEXT, V3_PROMPT)
    srv = make_server(*engine(d, "seed=3", "fixed_tokens=30"))
    _, s = stub(srv.target)
    for secs in (0.5, 1.0, 1.99):
        short = pcm[:2 * int(16000 * secs)]
        for req in (zero_shot(text, prompt, short),
                    R.Request(cross_lingual_request=R.crosslingualRequest(
                        tts_text=text, prompt_audio=short))):
            chunks, rates = call(s, req)
            assert rates == {24000} and chunks and all(chunks), secs
