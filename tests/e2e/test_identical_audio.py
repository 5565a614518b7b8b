"""The same request gives byte-identical audio whatever the server's
--threads and however many calls run at once: the tone engine and the
neural engine (tiny golden model, fixed seed and token count). The neural
engine's ops cut their work into pieces fixed by the problem, never by the
threads that happen to be free (src/nn/parallel.h), so a call that finds
the shared pool busy computes the same pieces itself.

Under ONEDNN_MAX_CPU_ISA (the suite's second, AVX2-limited run) the server
log must name that ISA: the limit really took effect."""
import os
import threading

import pytest

from conftest import ROOT, collect, cosyvoice_pb2, sft, stub

MODEL = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")
THREADS = (1, 2, 3)
CALLERS = 3


def instruct(text):
    return cosyvoice_pb2.Request(instruct_request=cosyvoice_pb2.instructRequest(
        tts_text=text, spk_id="英文男", instruct_text="A calm narrator.<|endofprompt|>"))


ENGINES = {
    "tone": (["--engine", "tone"],
             [sft("Hello there. How are you?", spk="tone-low"), sft("Bye now.", spk="tone-high")]),
    "cosyvoice": (["--engine", "cosyvoice", "--model-dir", MODEL,
                   "--engine-opt", "seed=9", "--engine-opt", "fixed_tokens=260"],
                  [sft("Hello there.", spk="英文女"), instruct("Something else entirely.")]),
}


def audio(s, req):
    chunks, _ = collect(s, req)
    assert chunks
    return b"".join(chunks)


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_same_audio_at_any_threads_and_concurrency(make_server, name):
    args, requests = ENGINES[name]
    want = None
    for threads in THREADS:
        srv = make_server(*args, "--threads", str(threads))
        _, s = stub(srv.target)
        alone = [audio(s, r) for r in requests]
        if want is None:
            want = alone
        assert alone == want, f"--threads {threads}: differs from --threads 1"
        # the first request three times at once, plus the second beside them
        jobs = [requests[0]] * CALLERS + [requests[1]]
        got = [None] * len(jobs)

        def call(i):
            got[i] = audio(s, jobs[i])

        ts = [threading.Thread(target=call, args=(i,)) for i in range(len(jobs))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for i, g in enumerate(got):
            assert g == want[0 if i < CALLERS else 1], \
                f"--threads {threads}, concurrent call {i}: differs from the call alone"
        if name == "cosyvoice":
            limit = os.environ.get("ONEDNN_MAX_CPU_ISA")
            log = srv.logs()
            assert "compute: oneDNN" in log
            if limit:
                assert f"ISA {limit.lower()}" in log, log
        srv.stop()
