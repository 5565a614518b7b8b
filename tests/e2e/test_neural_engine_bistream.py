"""StreamInference on the cosyvoice engine with CosyVoice2/3 directories (the
tiny golden models, built as in test_neural_engine_v2v3.py): the text is
decoded in one bistream LM run while it arrives (cv_bistream.h). Checked:
text in tiny pieces (a UTF-8 character split across messages) gives audio,
and exactly the audio of the same text sent as one piece (the LM gets the
same ids one at a time either way; fixed seed); audio for the first part
comes back before the last piece is sent; the idle timeout and
cancellation end the call and free its slot; CosyVoice3 streams too (its
system prompt in front). The tiny v2 LM knows only text ids < 1024, so v2
texts are made of such tokens ("isé" is " is" + "é", both known)."""
import threading
import time

import grpc
import pytest

from conftest import cosyvoice_pb2, stub
from stream_text_example import stream
from test_stream_inference import expect_error, stream_holding_last_piece
from test_neural_engine_v2v3 import (V2_PROMPT, engine, model_dir, prompt16k,  # noqa: F401
                                     zero_shot)

R = cosyvoice_pb2
WORDS = "a to be in the and is on the con for the is".split()
V2_TEXT = "a to be in the and isé on the con for the is. " * 2


def split_tiny(text):
    """Pieces of 1-3 bytes; every multi-byte UTF-8 character split after
    its first byte."""
    b = text.encode()
    out, i, k = [], 0, 0
    while i < len(b):
        n = min(1 + k % 3, len(b) - i)
        lead = [j for j in range(i, i + n - 1) if b[j] >= 0xC0]
        if lead:
            n = lead[0] + 1 - i
        out.append(b[i:i + n])
        i += n
        k += 1
    return out


def cross_lingual(pcm, **kw):
    return R.Request(cross_lingual_request=R.crosslingualRequest(prompt_audio=pcm), **kw)


def test_v2_tiny_pieces_equal_one_piece(make_server, tmp_path, prompt16k):  # noqa: F811
    d = model_dir(tmp_path, 2)
    _, pcm = prompt16k
    srv = make_server(*engine(d, "seed=3"))
    _, s = stub(srv.target)
    parts = split_tiny(V2_TEXT)
    assert any(p[-1] >= 0xC0 for p in parts)  # a character split in two
    for setup in (zero_shot("", V2_PROMPT, pcm), cross_lingual(pcm)):
        tiny = stream(s, setup, parts, timeout=120)
        one = stream(s, setup, [V2_TEXT], timeout=120)
        assert len(tiny) >= 1 and all(tiny)
        assert b"".join(tiny) == b"".join(one)
    srv.wait_log("streamed text")


def test_v2_first_audio_before_last_piece(make_server, tmp_path, prompt16k):  # noqa: F811
    """The client holds its last piece back until audio arrives (cross_lingual:
    no prompt speech, so speech tokens start after 5 text ids)."""
    d = model_dir(tmp_path, 2)
    _, pcm = prompt16k
    srv = make_server(*engine(d, "seed=3"))
    _, s = stub(srv.target)
    first = [" ".join(WORDS[(i * 5) % len(WORDS):] + WORDS[:(i * 5) % len(WORDS)]) + ","
             for i in range(6)]
    chunks, early = stream_holding_last_piece(
        s, cross_lingual(pcm), [(p + " ").encode() for p in first],
        b"and the end is on the con.", wait=60, timeout=120)
    assert early, "no audio before the last piece"
    assert len(chunks) >= 2


def test_v2_fixed_tokens(make_server, tmp_path, prompt16k):  # noqa: F811
    """fixed_tokens=N (benchmarks with random weights) applies to streamed
    text as a whole: exactly N speech tokens, 2 mel frames of 480 samples
    each at 24 kHz, however early the random LM would stop."""
    d = model_dir(tmp_path, 2)
    _, pcm = prompt16k
    for n in (150, 230):
        srv = make_server(*engine(d, "seed=3", f"fixed_tokens={n}"))
        _, s = stub(srv.target)
        audio = b"".join(stream(s, cross_lingual(pcm), split_tiny(V2_TEXT), timeout=120))
        assert len(audio) == n * 2 * 480 * 2
        srv.stop()


def when_free(fn, wait=30):
    """fn() once the server's one slot is free: the worker lets go of it a
    moment after the client has seen the end of the previous call."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return fn()
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_v2_idle_timeout_and_cancel_free_slot(make_server, tmp_path, prompt16k):  # noqa: F811
    d = model_dir(tmp_path, 2)
    _, pcm = prompt16k
    srv = make_server(*engine(d, "seed=3"), "--max-conc", "1", "--max-queue", "0",
                      "--text-idle-timeout", "2")
    _, s = stub(srv.target)
    hold = threading.Event()

    def stalled():
        yield R.StreamRequest(setup=cross_lingual(pcm))
        yield R.StreamRequest(text=b"a to be in the and is on the con for the is " * 3)
        hold.wait(30)

    expect_error(s, stalled(), grpc.StatusCode.DEADLINE_EXCEEDED, "--text-idle-timeout",
                 timeout=60)
    srv.wait_log("streamed-text LM stopped (DEADLINE_EXCEEDED)")
    # cancellation while the LM waits for text, after audio has flowed
    def trickling():
        """A word every 0.5 s until told to stop: the idle timeout never
        fires, however slow the first chunk (sanitizer builds)."""
        yield R.StreamRequest(setup=cross_lingual(pcm))
        yield R.StreamRequest(text=b"a to be in the and is on the con for the is " * 3)
        while not hold.wait(0.5):
            yield R.StreamRequest(text=b"the ")

    def started():
        it = s.StreamInference(trickling(), timeout=60)
        next(it)
        return it

    when_free(started).cancel()
    srv.wait_log("streamed-text LM stopped (CANCELLED)")
    hold.set()
    # the slot is free again (once the worker has let go of it: the client
    # may see the end of the call a moment before)
    assert b"".join(when_free(lambda: stream(s, cross_lingual(pcm),
                                             ["a to be in the and is on the con."], timeout=120)))
    # punctuation only: nothing to speak
    with pytest.raises(grpc.RpcError) as e:
        when_free(lambda: stream(s, cross_lingual(pcm), ["... ", "!?"]))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, e.value.details()


def test_v3_streams(make_server, tmp_path, prompt16k):  # noqa: F811
    d = model_dir(tmp_path, 3)
    _, pcm = prompt16k
    srv = make_server(*engine(d, "seed=3"))
    _, s = stub(srv.target)
    text = "Hello there, how are you doing today my friend? I am fine, thank you."
    out = stream(s, cross_lingual(pcm), split_tiny(text), timeout=120)
    assert len(out) >= 1 and all(out)
    assert b"".join(out) == b"".join(stream(s, cross_lingual(pcm), [text], timeout=120))
