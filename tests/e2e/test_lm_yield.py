"""--engine-opt lm_yield=auto|on|off (token_queue.h: the LM thread parks while
the token-to-audio loop computes a chunk whose tokens it has delivered).
Checked with the tiny golden models: streamed audio is byte-identical with
lm_yield on and off (v1 with several segments, v2 zero_shot, v2 streamed
text); a call cancelled or past its deadline with the LM yielding ends,
its LM stops and the slot is free again (a parked LM must not hang the
call); auto resolves from --threads and the online CPUs as documented;
bad values are refused at start-up. No timing is asserted: how much the
first chunk gains is measured in bench/ (docs/neural_engine.md)."""
import os
import subprocess
import threading

import grpc
import pytest

from conftest import ROOT, SERVER, collect, cosyvoice_pb2, sft, stub
from stream_text_example import stream
from test_neural_engine_bistream import V2_TEXT, cross_lingual, split_tiny, when_free
from test_neural_engine_v2v3 import (V2_PROMPT, model_dir, prompt16k,  # noqa: F401
                                     zero_shot)

R = cosyvoice_pb2
V1 = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")


def engine(model, *opts):
    args = ["--engine", "cosyvoice", "--model-dir", str(model)]
    for o in opts:
        args += ["--engine-opt", o]
    return args


def audio(s, req):
    chunks, _ = collect(s, req)
    assert len(chunks) >= 2  # streamed: the yielding applies between chunks
    return b"".join(chunks)


def parked_counts(log):
    """'LM parked N time(s)' of every finished call in the log."""
    return [int(line.split("LM parked ")[1].split()[0])
            for line in log.splitlines() if "LM parked " in line]


def test_v1_same_audio_on_and_off(make_server):
    text = "Hello there. This is a test of the yielding language model. Bye now."
    got = {}
    for mode in ("off", "on"):
        srv = make_server(*engine(V1, "seed=9", "fixed_tokens=347", f"lm_yield={mode}"),
                          "--threads", "2")
        srv.wait_log(f"lm_yield {mode} ({mode}:")
        _, s = stub(srv.target)
        got[mode] = [audio(s, sft(text, spk="英文女")),
                     audio(s, sft("Short one.", spk="英文男"))]
        log = srv.wait_log("LM parked")
        if mode == "off":
            assert set(parked_counts(log)) == {0}
        srv.stop()
    assert got["on"] == got["off"]


def test_v2_same_audio_on_and_off(make_server, tmp_path, prompt16k):  # noqa: F811
    d = model_dir(tmp_path, 2)
    _, pcm = prompt16k
    text = "a to be in the and is on the con for the is. on the is a to be."
    got = {}
    for mode in ("off", "on"):
        srv = make_server(*engine(d, "seed=3", "fixed_tokens=170", f"lm_yield={mode}"),
                          "--threads", "2")
        _, s = stub(srv.target)
        got[mode] = [audio(s, zero_shot(text, V2_PROMPT, pcm)),
                     b"".join(stream(s, cross_lingual(pcm), split_tiny(V2_TEXT), timeout=120))]
        srv.stop()
    assert got["on"] == got["off"]


@pytest.mark.parametrize("how", ["cancel", "deadline"])
def test_v1_cancel_with_lm_yielding(make_server, how):
    """One long segment (fixed_tokens): the LM parks at every chunk, so the
    cancellation or deadline very likely finds it parked; either way the
    call must end, the LM stop and the slot be reused."""
    srv = make_server(*engine(V1, "seed=4", "fixed_tokens=30000", "lm_yield=on"),
                      "--threads", "2", "--max-conc", "1", "--max-queue", "0")
    _, s = stub(srv.target)
    if how == "cancel":
        call = s.Inference(sft("Hi there.", spk="英文女"), timeout=300)
        next(call)
        call.cancel()
        srv.wait_log("outcome=CANCELLED", timeout=60)
    else:
        with pytest.raises(grpc.RpcError) as e:
            for _ in s.Inference(sft("Hi there.", spk="英文女"), timeout=4):
                pass
        assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        srv.wait_log("outcome=DEADLINE_EXCEEDED", timeout=60)
    srv.wait_log("LM stopped (CANCELLED)", timeout=60)

    def first_chunk():  # the slot is free again (fixed_tokens: a long call too)
        call = s.Inference(sft("Hi.", spk="英文女"), timeout=300)
        chunk = next(call).tts_audio
        call.cancel()
        return chunk

    assert when_free(first_chunk, wait=60)
    srv.wait_log("outcome=CANCELLED", timeout=60)


def test_v2_streamed_text_cancel_with_lm_yielding(make_server, tmp_path, prompt16k):  # noqa: F811
    """Streamed text with the LM yielding: while it waits for more text it
    is not parked (the consumer waits for tokens then), audio flows; a
    cancellation after the first audio ends the call and frees the slot."""
    d = model_dir(tmp_path, 2)
    _, pcm = prompt16k
    srv = make_server(*engine(d, "seed=3", "lm_yield=on"), "--threads", "2",
                      "--max-conc", "1", "--max-queue", "0")
    _, s = stub(srv.target)
    hold = threading.Event()

    def trickling():
        yield R.StreamRequest(setup=cross_lingual(pcm))
        yield R.StreamRequest(text=b"a to be in the and is on the con for the is " * 3)
        while not hold.wait(0.5):
            yield R.StreamRequest(text=b"the ")

    it = s.StreamInference(trickling(), timeout=120)
    next(it)
    it.cancel()
    srv.wait_log("streamed-text LM stopped (CANCELLED)", timeout=60)
    hold.set()
    out = when_free(lambda: stream(s, cross_lingual(pcm), split_tiny(V2_TEXT), timeout=120),
                    wait=60)
    assert b"".join(out)


def test_auto_follows_threads_and_cpus(make_server):
    cpus = os.sysconf("SC_NPROCESSORS_ONLN")
    for threads in sorted({1, cpus}):
        srv = make_server(*engine(V1, "seed=1", "lm_yield=auto"), "--threads", str(threads))
        want = "on" if 2 * threads > cpus else "off"
        srv.wait_log(f"lm_yield {want} (auto: LM {threads} + flow {threads} threads, "
                     f"{cpus} online CPUs)")
        srv.stop()


@pytest.mark.parametrize("value", ["maybe", "", "ON", "1"])
def test_bad_value_refused_at_start(value):
    p = subprocess.run([SERVER, *engine(V1, f"lm_yield={value}"), "--port", "0"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "lm_yield must be auto, on or off" in p.stderr, p.stderr
