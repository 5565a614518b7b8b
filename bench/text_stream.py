#!/usr/bin/python3
"""Text streamed in as an LLM writes it: StreamInference fed one word every
30 ms and every 100 ms. Prints, per engine and pace, the time from the first
piece to the first audio chunk and from the last piece to the end of audio
(the call's end), median of 3 runs.

Usage: /usr/bin/python3 bench/text_stream.py [build-dir]
Engines: the default (espeak) and cosyvoice v1 with the tiny random model
(tests/data/golden/cosyvoice-v1-tiny, 60 speech tokens per segment)."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("CV_BUILD_DIR", BUILD)
from conftest import Server, cosyvoice_pb2, stub  # noqa: E402

TEXT = ("Sure, here is a short answer. The meeting starts at 10:30 on Monday, "
        "in the large room on the second floor. Bring the report from last week, "
        "and please be on time. Thank you!")
TINY = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")
ENGINES = {
    "espeak (default)": [],
    "cosyvoice v1 tiny": ["--engine", "cosyvoice", "--model-dir", TINY,
                          "--engine-opt", "fixed_tokens=60", "--engine-opt", "seed=1"],
}


def one(s, pace):
    words = [w + " " for w in TEXT.split(" ")]
    marks = {}

    def reqs():
        yield cosyvoice_pb2.StreamRequest(setup=cosyvoice_pb2.Request(
            sft_request=cosyvoice_pb2.sftRequest(spk_id="英文女")))
        for i, w in enumerate(words):
            if i:
                time.sleep(pace)
            if i == 0:
                marks["first"] = time.monotonic()
            yield cosyvoice_pb2.StreamRequest(text=w.encode())
        marks["last"] = time.monotonic()

    first_audio = None
    for _ in s.StreamInference(reqs(), timeout=300):
        if first_audio is None:
            first_audio = time.monotonic()
    end = time.monotonic()
    return first_audio - marks["first"], end - marks["last"]


def main():
    cpu = subprocess.run("lscpu | grep 'Model name'", shell=True, capture_output=True,
                         text=True).stdout.split(":")[-1].strip()
    print(f"CPU: {cpu}; {len(TEXT.split())} words")
    for name, args in ENGINES.items():
        srv = Server(*args)
        _, s = stub(srv.target)
        for pace in (0.030, 0.100):
            runs = [one(s, pace) for _ in range(3)]
            fa = statistics.median(r[0] for r in runs)
            tail = statistics.median(r[1] for r in runs)
            print(f"{name:20s} word every {pace * 1000:3.0f} ms: first piece -> first audio "
                  f"{fa * 1000:6.0f} ms, last piece -> end of audio {tail * 1000:6.0f} ms")
        srv.stop()


if __name__ == "__main__":
    main()
