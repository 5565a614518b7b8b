"""The native neural engine ("cosyvoice") end to end with the tiny golden
model directory (random weights: the audio is noise, the structure is what
is checked). An independent Python client checks that chunks are streamed
with the lengths the hop/overlap schedule implies, one chunk per segment
without streaming, speed, instruct, cancellation of the LM thread and
request validation. Identical audio at any --threads and concurrency:
test_identical_audio.py."""
import os

import grpc
import pytest

from conftest import ROOT, collect, cosyvoice_pb2, sft, stub

MODEL = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")
FRONTEND = os.path.join(ROOT, "tests", "data", "golden", "frontend-tiny")
PROMPT_WAV = os.path.join(ROOT, "tests", "data", "prompts", "zero_shot_prompt.wav")
SR = 22050
SPF = 256                        # vocoder samples per mel frame
MIN_HOP, MAX_HOP, OVERLAP = 100, 200, 20
MEL_OVERLAP, MEL_CACHE = 34, 20
SOURCE_CACHE = MEL_CACHE * SPF


def engine(*opts, model=MODEL):
    args = ["--engine", "cosyvoice", "--model-dir", model]
    for o in opts:
        args += ["--engine-opt", o]
    return args


def mel_frames(n_tokens):
    return int(n_tokens / 50 * 22050 / 256)


def schedule(n_tokens, first_hop=MIN_HOP):
    """Chunk sample counts of a stream of n_tokens speech tokens, from the
    rules: a chunk of hop + overlap tokens, minus the held-back mel overlap
    and vocoder cache; the final chunk takes the rest plus the cache."""
    out, pos, hop = [], 0, first_hop
    while n_tokens - pos >= hop + OVERLAP:
        frames = (MEL_CACHE if out else 0) + mel_frames(hop + OVERLAP)
        out.append((frames - MEL_OVERLAP) * SPF - SOURCE_CACHE)
        pos += hop
        hop = min(MAX_HOP, max(MIN_HOP, hop))
    out.append(((MEL_CACHE if out else 0) + mel_frames(n_tokens - pos)) * SPF)
    return out


def lengths(chunks):
    return [len(c) // 2 for c in chunks]


def instruct(text, spk="英文男", instruction="A calm, slow narrator.<|endofprompt|>", **kw):
    return cosyvoice_pb2.Request(instruct_request=cosyvoice_pb2.instructRequest(
        tts_text=text, spk_id=spk, instruct_text=instruction), **kw)


def test_sft_streams_on_hop_schedule(make_server):
    srv = make_server(*engine("seed=1", "fixed_tokens=347"))
    _, s = stub(srv.target)
    chunks, _ = collect(s, sft("Hello there. This is a test.", spk="英文女"))
    # 347 tokens: three streamed chunks (hops 100) and the rest
    assert lengths(chunks) == schedule(347) == [38912, 44032, 44032, 25600]
    assert "first chunk" in srv.logs() and "LM to first hop (120 tokens)" in srv.logs()


def test_sft_stream_structure_with_sampled_lengths(make_server):
    srv = make_server(*engine("seed=5"))
    _, s = stub(srv.target)
    chunks, _ = collect(s, sft("今天天气很好，我们去公园散步吧。", spk="中文女"))
    got = lengths(chunks)
    # Whatever the LM sampled: every chunk but the last follows the schedule
    # and the last is a whole number of mel frames (including the cache).
    assert got[:-1] == schedule(10_000)[:len(got) - 1]
    assert got[-1] % SPF == 0 and got[-1] > 0
    if len(got) > 1:
        assert got[-1] >= MEL_CACHE * SPF


def test_first_hop_option(make_server):
    srv = make_server(*engine("seed=1", "fixed_tokens=300", "first_hop=30"))
    _, s = stub(srv.target)
    chunks, _ = collect(s, sft("Hello there.", spk="英文女"))
    assert lengths(chunks) == schedule(300, first_hop=30)
    assert lengths(chunks)[0] < schedule(300)[0]


LONG = ("The quick brown fox jumps over the lazy dog while the patient old farmer watches "
        "from his wooden porch, thinking about the long cold winter ahead, the broken fence "
        "by the river, the hungry sheep in the northern field and the many small tasks that "
        "still remain unfinished in the barn before the first snow arrives, and he wonders "
        "whether his old tractor will start again on a frosty morning. "
        "Tomorrow he will start very early, mend the broken fence by the river, feed the "
        "chickens and bring all of the hungry sheep safely home.")


def test_nonstream_one_chunk_per_segment(make_server):
    srv = make_server(*engine("seed=2", "fixed_tokens=130"))
    _, s = stub(srv.target)
    chunks, _ = collect(s, sft(LONG, spk="英文男", disable_streaming=True))
    # two segments (a long sentence, then one of more than 20 tokens)
    assert lengths(chunks) == [mel_frames(130) * SPF] * 2
    chunks, _ = collect(s, sft("Hello there.", spk="英文男", disable_streaming=True))
    assert lengths(chunks) == [mel_frames(130) * SPF]


def test_speed_without_streaming(make_server):
    srv = make_server(*engine("seed=2", "fixed_tokens=130"))
    _, s = stub(srv.target)
    chunks, _ = collect(s, sft("Hello there.", spk="英文男", disable_streaming=True, speed=2.0))
    assert lengths(chunks) == [int(mel_frames(130) / 2.0) * SPF]
    # streaming ignores speed, as the reference does
    chunks, _ = collect(s, sft("Hello there.", spk="英文男", speed=2.0))
    assert lengths(chunks) == schedule(130)


def test_instruct_streams(make_server):
    srv = make_server(*engine("seed=3", "fixed_tokens=347"))
    _, s = stub(srv.target)
    chunks, _ = collect(s, instruct("Once upon a time there was a small village."))
    assert lengths(chunks) == schedule(347)
    # an instruction without the marker gets one appended
    chunks, _ = collect(s, instruct("Short text.", instruction="Speak happily"))
    assert lengths(chunks) == schedule(347)


def test_cancel_stops_lm_and_frees_slot(make_server):
    srv = make_server(*engine("seed=4"), "--max-conc", "1", "--max-queue", "0")
    _, s = stub(srv.target)
    text = " ".join(["This sentence keeps the language model busy for a good while."] * 120)
    call = s.Inference(sft(text, spk="英文女"), timeout=300)
    next(call)
    call.cancel()
    srv.wait_log("outcome=CANCELLED")
    srv.wait_log("LM stopped (CANCELLED)")
    chunks, _ = collect(s, sft("Hi.", spk="英文女"), timeout=60)
    assert chunks


def tone_pcm16k(seconds=1.0):
    import math
    import struct

    n = int(16000 * seconds)
    return struct.pack(f"<{n}h", *(int(8000 * math.sin(2 * math.pi * 220 * i / 16000))
                                   for i in range(n)))


def test_validation(make_server):
    srv = make_server(*engine())
    _, s = stub(srv.target)
    with pytest.raises(grpc.RpcError) as e:
        collect(s, sft("Hello.", spk="nobody"))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "中文女" in e.value.details() and "英文男" in e.value.details()
    req = cosyvoice_pb2.Request(zero_shot_request=cosyvoice_pb2.zeroshotRequest(
        tts_text="Hello.", prompt_text="Hi.", prompt_audio=tone_pcm16k()))
    with pytest.raises(grpc.RpcError) as e:
        collect(s, req)
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "prompt front end" in e.value.details()


def test_bad_engine_option_refused(tmp_path):
    import subprocess

    from conftest import SERVER

    p = subprocess.run([SERVER, *engine("no_such_knob=1"), "--port", "0"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode != 0
    assert "no_such_knob" in p.stderr


def cpu_has_bf16():
    """What the server should find: bf16 dot products, unless the suite's
    AVX2-limited run hides them."""
    if os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper() in ("AVX2", "AVX", "SSE41"):
        return False
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    return "avx512_bf16" in flags or "amx_bf16" in flags


def test_bf16_precision(make_server, tmp_path):
    """precision=bf16 runs where the CPU has bf16 and is refused with a
    clear message where it has not; bf16 audio has the same structure,
    differs from fp32, and is itself the same at any --threads."""
    import subprocess

    from conftest import SERVER

    req = sft("Hello there.", spk="英文女")
    if not cpu_has_bf16():
        p = subprocess.run([SERVER, *engine("precision=bf16"), "--port", "0"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode != 0 and "precision=bf16 needs a CPU" in p.stderr
        return
    fp32 = make_server(*engine("seed=9", "fixed_tokens=260"))
    assert "precision fp32" in fp32.logs()
    want = b"".join(collect(stub(fp32.target)[1], req)[0])
    got = []
    for threads in (1, 2):
        srv = make_server(*engine("seed=9", "fixed_tokens=260", "precision=bf16"),
                          "--threads", str(threads))
        assert "precision bf16" in srv.logs()
        chunks, _ = collect(stub(srv.target)[1], req)
        assert lengths(chunks) == schedule(260)
        got.append(b"".join(chunks))
    assert got[0] == got[1]
    assert got[0] != want


def test_bad_precision_refused():
    import subprocess

    from conftest import SERVER

    p = subprocess.run([SERVER, *engine("precision=fp8"), "--port", "0"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode != 0 and "precision must be bf16 or fp32" in p.stderr


@pytest.fixture
def full_model_dir(tmp_path):
    """The tiny model plus the prompt front end's two ONNX files, assembled
    the way an official model directory holds them."""
    d = tmp_path / "model"
    d.mkdir()
    for name in os.listdir(MODEL):
        if not name.endswith(".npy") and not name.endswith(".json"):
            os.symlink(os.path.join(MODEL, name), d / name)
    for name in ("campplus.onnx", "speech_tokenizer_v1.onnx"):
        os.symlink(os.path.join(FRONTEND, name), d / name)
    return str(d)


def prompt_pcm16k(path=PROMPT_WAV):
    import subprocess

    return subprocess.run(["sox", path, "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16",
                           "-c", "1", "-"], check=True, capture_output=True).stdout


def test_zero_shot_and_cross_lingual(make_server, full_model_dir):
    srv = make_server(*engine("seed=6", "fixed_tokens=347", model=full_model_dir))
    _, s = stub(srv.target)
    pcm = prompt_pcm16k()
    zs = cosyvoice_pb2.Request(zero_shot_request=cosyvoice_pb2.zeroshotRequest(
        tts_text="Hello there, how are you today?", prompt_text="希望你以后能够做的比我还好呦。",
        prompt_audio=pcm))
    chunks, _ = collect(s, zs)
    # a flow prompt does not change the schedule (cf. the stream_prompt golden data)
    assert lengths(chunks) == schedule(347)
    cl = cosyvoice_pb2.Request(cross_lingual_request=cosyvoice_pb2.crosslingualRequest(
        tts_text="<|en|>Hello there, how are you today?", prompt_audio=pcm),
        disable_streaming=True)
    chunks, _ = collect(s, cl)
    assert lengths(chunks) == [mel_frames(347) * SPF]
    # sft still works next to them
    chunks, _ = collect(s, sft("Hi there.", spk="中文男"))
    assert lengths(chunks) == schedule(347)


@pytest.mark.parametrize("spk2info", ["llm.pt", None])
def test_directory_serving_no_mode_fails_at_start(tmp_path, spk2info):
    """A wrong spk2info.pt (here another checkpoint: no speaker entries) or
    none, and no prompt front end: nothing could be served, so the server
    does not start (it used to start and refuse every call)."""
    import subprocess

    from conftest import SERVER
    d = tmp_path / "model"
    d.mkdir()
    for name in os.listdir(MODEL):
        if name != "spk2info.pt" and not name.endswith((".npy", ".json")):
            os.symlink(os.path.join(MODEL, name), d / name)
    if spk2info:
        os.symlink(os.path.join(MODEL, spk2info), d / "spk2info.pt")
    p = subprocess.run([SERVER, *engine(model=str(d)), "--port", "0"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode != 0
    assert "spk2info.pt" in p.stderr
    # a wrong file is refused by the speaker table's own check; none at all
    # leaves nothing to serve
    assert ("not a speaker's dict" if spk2info else "can serve no mode") in p.stderr


def test_short_prompts_that_validation_accepts_are_served(make_server, full_model_dir):
    """Prompts from the 0.5 s minimum up: they were refused under 2 s with
    an internal ONNX message (CAM++'s 100-frame segment pooling)."""
    srv = make_server(*engine("seed=6", "fixed_tokens=60", model=full_model_dir))
    _, s = stub(srv.target)
    pcm = prompt_pcm16k()
    for secs in (0.5, 1.0, 1.99):
        prompt = pcm[:2 * int(16000 * secs)]
        for req in (cosyvoice_pb2.Request(zero_shot_request=cosyvoice_pb2.zeroshotRequest(
                        tts_text="Hello.", prompt_text="希望你", prompt_audio=prompt)),
                    cosyvoice_pb2.Request(cross_lingual_request=cosyvoice_pb2.crosslingualRequest(
                        tts_text="Hello.", prompt_audio=prompt))):
            chunks, _ = collect(s, req)
            assert chunks, secs
