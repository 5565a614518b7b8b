#!/usr/bin/python3
"""Text streamed in as an LLM writes it: StreamInference fed one word every
30 ms and every 100 ms. Prints, per engine and pace, the time from the first
piece to the first audio chunk and from the last piece to the end of audio
(the call's end), median of 3 runs.

Usage: /usr/bin/python3 bench/text_stream.py [build-dir] [--full] [--only SUBSTRING]
Engines: the default (espeak); cosyvoice v1 with the tiny random model
(tests/data/golden/cosyvoice-v1-tiny, 60 speech tokens per segment: the
per-sentence path); cosyvoice v2 with the tiny random model
(tests/data/golden/cosyvoice2-tiny + frontend2-tiny's prompt front end,
cross_lingual with tests/data/prompts/zero_shot_prompt.wav: the bistream
path, one LM decoding for the whole text). The tiny v2 LM knows only text
ids < 1024, so its text is made of such words (same length in words and
sentences); with random weights it stops at a random eos after the text
ends (fixed seed), so its "end of audio" figure includes that tail.
--full adds the full-size models (random weights, written by
cosyvoice-make-random-model if missing; int8 LM, and bf16 flow and vocoder
where the CPU has bf16; one run per pace): CosyVoice-300M (BUILD/random-300m,
its speaker1, fixed_tokens=75 per sentence: 12 s of audio in all) and
CosyVoice2-0.5B (BUILD/random-v2, sft with its saved voice speaker1, a 3 s
prompt; fixed_tokens=300 for the whole streamed text: 12 s). --only runs the
engines whose name contains SUBSTRING."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGV = sys.argv[1:]
ONLY = ARGV[ARGV.index("--only") + 1] if "--only" in ARGV[:-1] else ""
ARGS = [a for i, a in enumerate(ARGV)
        if a not in ("--full", "--only") and (i == 0 or ARGV[i - 1] != "--only")]
FULL = "--full" in ARGV
BUILD = os.path.abspath(ARGS[0]) if ARGS else os.path.join(ROOT, "build")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("CV_BUILD_DIR", BUILD)
from conftest import Server, cosyvoice_pb2, stub  # noqa: E402

TEXT = ("Sure, here is a short answer. The meeting starts at 10:30 on Monday, "
        "in the large room on the second floor. Bring the report from last week, "
        "and please be on time. Thank you!")
# the same shape (34 words, 4 sentences) in words the tiny v2 LM knows
TEXT_V2 = ("a to be in the is. the con for the and is on the be, "
           "on the is for a con to be in. the is a con, "
           "and to on is. a the!")
GOLDEN = os.path.join(ROOT, "tests", "data", "golden")
TINY = os.path.join(GOLDEN, "cosyvoice-v1-tiny")
PROMPT_WAV = os.path.join(ROOT, "tests", "data", "prompts", "zero_shot_prompt.wav")


def sft_setup(spk="英文女"):
    return cosyvoice_pb2.Request(sft_request=cosyvoice_pb2.sftRequest(spk_id=spk))


def bf16_cpu():
    flags = open("/proc/cpuinfo").read()
    return " avx512_bf16" in flags or " amx_bf16" in flags


def full_dir(family):
    d = os.path.join(BUILD, "random-300m" if family == "v1" else "random-" + family)
    if not os.path.exists(os.path.join(d, "hift.pt")):
        subprocess.run([os.path.join(BUILD, "cosyvoice-make-random-model"), d, "--family",
                        family, "--source", ROOT], check=True, stdout=subprocess.DEVNULL)
    return d


def full_args(family, fixed_tokens):
    opts = [f"fixed_tokens={fixed_tokens}", "seed=1", "lm_int8=1"]
    if bf16_cpu():
        opts.append("precision=bf16")
    args = ["--engine", "cosyvoice", "--model-dir", full_dir(family), "--threads", "2"]
    for o in opts:
        args += ["--engine-opt", o]
    return args


def tiny_v2_dir(tmp):
    """The tiny v2 model plus the prompt front end, as the e2e tests build it."""
    src = os.path.join(GOLDEN, "cosyvoice2-tiny")
    d = os.path.join(tmp, "v2")
    os.mkdir(d)
    for name in ("CosyVoice-BlankEN", "cosyvoice2.yaml", "flow.pt", "hift.pt", "llm.pt"):
        os.symlink(os.path.join(src, name), os.path.join(d, name))
    fe = os.path.join(GOLDEN, "frontend2-tiny")
    os.symlink(os.path.join(fe, "campplus.onnx"), os.path.join(d, "campplus.onnx"))
    os.symlink(os.path.join(fe, "speech_tokenizer_v2.onnx"),
               os.path.join(d, "speech_tokenizer_v2.onnx"))
    return d


def cross_lingual_setup(tmp):
    wav = os.path.join(tmp, "prompt16k.wav")
    subprocess.run(["sox", PROMPT_WAV, "-r", "16000", "-c", "1", "-b", "16", wav], check=True)
    pcm = subprocess.run(["sox", wav, "-t", "raw", "-e", "signed", "-b", "16", "-"],
                         check=True, capture_output=True).stdout
    return lambda: cosyvoice_pb2.Request(
        cross_lingual_request=cosyvoice_pb2.crosslingualRequest(prompt_audio=pcm))


def engines(tmp):
    """name -> (server args, setup message factory, text)"""
    e = {
        "espeak (default)": ([], sft_setup, TEXT),
        "cosyvoice v1 tiny": (["--engine", "cosyvoice", "--model-dir", TINY, "--engine-opt",
                               "fixed_tokens=60", "--engine-opt", "seed=1"], sft_setup, TEXT),
        "cosyvoice v2 tiny": (["--engine", "cosyvoice", "--model-dir", tiny_v2_dir(tmp),
                               "--engine-opt", "seed=1"], cross_lingual_setup(tmp), TEXT_V2),
    }
    if FULL:
        e["cosyvoice v1 full size"] = (full_args("v1", 75), lambda: sft_setup("speaker1"), TEXT)
        e["cosyvoice v2 full size"] = (full_args("v2", 300), lambda: sft_setup("speaker1"),
                                       TEXT)
    return {k: v for k, v in e.items() if ONLY in k}


def one(s, pace, setup, text):
    words = [w + " " for w in text.split(" ")]
    marks = {}

    def reqs():
        yield cosyvoice_pb2.StreamRequest(setup=setup())
        for i, w in enumerate(words):
            if i:
                time.sleep(pace)
            if i == 0:
                marks["first"] = time.monotonic()
            yield cosyvoice_pb2.StreamRequest(text=w.encode())
        marks["last"] = time.monotonic()

    first_audio = None
    for _ in s.StreamInference(reqs(), timeout=1800):
        if first_audio is None:
            first_audio = time.monotonic()
    end = time.monotonic()
    return first_audio - marks["first"], end - marks["last"]


def main():
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True,
                         text=True).stdout.split(":")[-1].strip()
    print(f"CPU: {cpu}; {len(TEXT.split())} words")
    tmp = tempfile.mkdtemp(prefix="text-stream-")
    try:
        run_all(tmp)
    finally:
        shutil.rmtree(tmp)


def run_all(tmp):
    for name, (args, setup, text) in engines(tmp).items():
        srv = Server(*args)
        try:
            measure(srv, name, setup, text)
        finally:
            srv.stop()  # also when a call fails: no server left running


def measure(srv, name, setup, text):
    _, s = stub(srv.target)
    reps = 1 if "full size" in name else 3
    for pace in (0.030, 0.100):
        runs = [one(s, pace, setup, text) for _ in range(reps)]
        fa = statistics.median(r[0] for r in runs)
        tail = statistics.median(r[1] for r in runs)
        print(f"{name:20s} word every {pace * 1000:3.0f} ms: first piece -> first audio "
              f"{fa * 1000:6.0f} ms, last piece -> end of audio {tail * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
