"""StreamInference: text streamed in, audio out while it is still arriving."""
import threading

import grpc
import numpy as np
import pytest

from conftest import cosyvoice_pb2, stub, sft, collect
from stream_text_example import pieces, stream

TEXT = ("The meeting starts at 10:30 on 2024-03-05 in room 12. "
        "It will cost $1,234.56 in total, café included! Naïve, isn't it?")


def split_tiny(text):
    """Pieces of 1-3 bytes: splits UTF-8 characters and numbers."""
    b = text.encode()
    out, i, k = [], 0, 0
    while i < len(b):
        n = 1 + k % 3
        out.append(b[i:i + n])
        i += n
        k += 1
    return out


def test_tiny_pieces_speak_as_whole_text(make_server):
    srv = make_server("--max-conc", "1")
    _, s = stub(srv.target)
    setup = sft("", spk="英文女")
    streamed = b"".join(stream(s, setup, split_tiny(TEXT)))
    whole, _ = collect(s, sft(TEXT, spk="英文女"))
    whole = b"".join(whole)
    # The default engine varies its voice slightly from call to call, but
    # the length of the audio follows the words spoken: "10:30", "2024-03-05"
    # and "$1,234.56" cut into pieces must be read exactly as when whole.
    assert len(streamed) > 0 and len(streamed) == len(whole)
    a = np.frombuffer(streamed, np.int16).astype(float)
    b = np.frombuffer(whole, np.int16).astype(float)
    assert np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)) > 0.8
    # a UTF-8 character split across two messages
    assert any(len(p) == 1 and p[0] >= 0x80 for p in split_tiny(TEXT))


def stream_holding_last_piece(s, setup, pieces, last, wait=30, timeout=60):
    """Sends setup and pieces, then holds last back until an audio chunk has
    arrived (at most wait seconds). Returns the chunks and whether audio came
    before the last piece went out."""
    got_audio = threading.Event()
    sent_last = threading.Event()

    def reqs():
        yield cosyvoice_pb2.StreamRequest(setup=setup)
        for p in pieces:
            yield cosyvoice_pb2.StreamRequest(text=p)
        got_audio.wait(wait)
        sent_last.set()
        yield cosyvoice_pb2.StreamRequest(text=last)

    chunks = []
    for r in s.StreamInference(reqs(), timeout=timeout):
        if not sent_last.is_set():
            got_audio.set()
        chunks.append(r.tts_audio)
    return chunks, got_audio.is_set() and sent_last.is_set()


def test_first_audio_before_last_piece(make_server):
    """The client holds its last piece back until audio arrives."""
    srv = make_server()
    _, s = stub(srv.target)
    chunks, early = stream_holding_last_piece(
        s, sft("", spk="英文女"), [b"This is the first sentence. ", b"And here"],
        b" is the last one.")
    assert early, "no audio before the last piece"
    assert len(chunks) >= 2


def expect_error(s, reqs, code, text=None, timeout=30):
    with pytest.raises(grpc.RpcError) as e:
        for _ in s.StreamInference(reqs, timeout=timeout):
            pass
    assert e.value.code() == code, e.value.details()
    if text:
        assert text in e.value.details()
    return e.value.details()


def test_empty_stream(make_server):
    srv = make_server()
    _, s = stub(srv.target)
    expect_error(s, iter([]), grpc.StatusCode.INVALID_ARGUMENT, "without any message")
    expect_error(s, pieces(sft("", spk="英文女"), []), grpc.StatusCode.INVALID_ARGUMENT,
                 "no text")


def test_first_message_without_mode(make_server):
    srv = make_server()
    _, s = stub(srv.target)
    expect_error(s, iter([cosyvoice_pb2.StreamRequest(text=b"hello")]),
                 grpc.StatusCode.INVALID_ARGUMENT, "must carry setup")
    expect_error(s, pieces(cosyvoice_pb2.Request(), ["hello"]),
                 grpc.StatusCode.INVALID_ARGUMENT, "no payload")


def test_text_over_limit(make_server):
    srv = make_server("--max-text", "50")
    _, s = stub(srv.target)
    expect_error(s, pieces(sft("", spk="英文女"), ["word " * 8, "word " * 8]),
                 grpc.StatusCode.INVALID_ARGUMENT, "--max-text")


def test_idle_timeout_frees_slot(make_server):
    srv = make_server("--max-conc", "1", "--max-queue", "0", "--text-idle-timeout", "1")
    _, s = stub(srv.target)
    hold = threading.Event()

    def reqs():
        yield cosyvoice_pb2.StreamRequest(setup=sft("Hello there.", spk="英文女"))
        hold.wait(20)

    expect_error(s, reqs(), grpc.StatusCode.DEADLINE_EXCEEDED, "--text-idle-timeout")
    hold.set()
    # the slot is free again
    assert b"".join(stream(s, sft("", spk="英文女"), ["Done."]))


def test_cancel_mid_stream_frees_slot(make_server):
    srv = make_server("--max-conc", "1", "--max-queue", "0")
    _, s = stub(srv.target)
    hold = threading.Event()

    def reqs():
        yield cosyvoice_pb2.StreamRequest(setup=sft("First sentence here. Next", spk="英文女"))
        hold.wait(20)

    it = s.StreamInference(reqs(), timeout=30)
    next(it)  # audio flows: the call holds the slot
    it.cancel()
    hold.set()
    srv.wait_log("CANCELLED")
    assert b"".join(stream(s, sft("", spk="英文女"), ["Again."]))


def test_neural_v1_tiny_streamed_pieces(make_server):
    """The v1 engine (tiny random model, fixed seed: deterministic) gets every
    complete sentence as soon as it exists; its audio is that of each
    sentence sent whole, so split numbers and characters are read as whole."""
    import os
    from conftest import ROOT
    model = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")
    srv = make_server("--engine", "cosyvoice", "--model-dir", model,
                      "--engine-opt", "seed=3", "--engine-opt", "fixed_tokens=60")
    _, s = stub(srv.target)
    sentences = ["The price is $1,234.56 today.", "We meet at 10:30 in the café."]
    streamed = b"".join(stream(s, sft("", spk="英文女"), split_tiny(" ".join(sentences))))
    whole = b"".join(b"".join(collect(s, sft(t, spk="英文女"))[0]) for t in sentences)
    assert len(streamed) > 0 and streamed == whole


def test_client_text_stdin_pipe(make_server, tmp_path):
    """cosyvoice-client --text-stdin sends what arrives on stdin (a number
    split across two writes)."""
    import subprocess
    import wave
    from conftest import CLIENT
    srv = make_server()
    out = tmp_path / "out.wav"
    p = subprocess.Popen([CLIENT, "--host", "127.0.0.1", "--port", str(srv.port), "--mode",
                          "sft", "--spk_id", "英文女", "--text-stdin", "--tts_wav", str(out),
                          "--timeout", "60"], stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write("Hello from a pipe. The number is 1,".encode())
    p.stdin.flush()
    p.stdin.write("234 and this is the end.\n".encode())
    p.stdin.close()
    err = p.stderr.read().decode()
    assert p.wait(60) == 0, err
    with wave.open(str(out)) as w:
        assert w.getnframes() > w.getframerate()  # more than a second of speech
