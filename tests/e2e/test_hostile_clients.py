"""The server against clients that misbehave on purpose: clients that never
read, floods of connections, calls to methods that do not exist, calls
during a drain, requests built to hurt (NUL bytes, control characters,
extreme speeds). Every case: the right status, and everyone else served.
Mostly against the diagnostic "tone" engine, whose output is predictable."""
import os
import socket
import threading
import time
import urllib.request

import grpc
import pytest

from conftest import collect, cosyvoice_pb2, free_port, health_pb2, sft, stub
from test_metrics import calls, scrape, value, wait_for

TONE = ("--engine", "tone")


def tone_req(text, spk="tone-low", instruct=None, **kw):
    if instruct is not None:
        return cosyvoice_pb2.Request(instruct_request=cosyvoice_pb2.instructRequest(
            tts_text=text, spk_id=spk, instruct_text=instruct), **kw)
    return sft(text, spk, **kw)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_grace_expiry_with_a_client_that_never_reads(make_server):
    """A send stuck on flow control (the client's window is full and it
    never reads) is cancelled when --grace runs out, and the server exits
    0. It was a race that aborted the process; a few rounds here, many more
    when it was fixed."""
    text = " ".join(["Sentence x."] * 5000)  # far more audio than any window holds
    for _ in range(3):
        srv = make_server(*TONE, "--grace", "0.3", "--max-text", "100000")
        ch, s = stub(srv.target)
        call = s.Inference(tone_req(text), timeout=60)
        next(call)  # then never read again
        srv.proc.send_signal(15)
        assert srv.proc.wait(timeout=30) == 0, srv.logs()[-2000:]
        assert "assertion failed" not in srv.logs()
        call.cancel()
        ch.close()


def health_stubs(ch):
    check = ch.unary_unary("/grpc.health.v1.Health/Check",
                           request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                           response_deserializer=health_pb2.HealthCheckResponse.FromString)
    watch = ch.unary_stream("/grpc.health.v1.Health/Watch",
                            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                            response_deserializer=health_pb2.HealthCheckResponse.FromString)
    return check, watch


def test_drain_answers_every_new_call_unavailable(make_server):
    """During the grace period every new call gets UNAVAILABLE (which
    clients retry elsewhere), not only as many as there were requests
    posted in advance; a Watch begun then reports NOT_SERVING once."""
    srv = make_server(*TONE, "--grace", "60")
    ch, s = stub(srv.target)
    inflight = s.Inference(tone_req("A. B. C. D. E. F. G. H.", instruct="delay=400"), timeout=120)
    next(inflight)
    srv.proc.send_signal(15)
    srv.wait_log("signal received")
    codes = []
    for _ in range(12):
        with pytest.raises(grpc.RpcError) as e:
            collect(s, tone_req("New call."), timeout=30)
        codes.append(e.value.code())
    assert codes == [grpc.StatusCode.UNAVAILABLE] * 12
    _, watch = health_stubs(ch)
    statuses = [r.status for r in watch(health_pb2.HealthCheckRequest(), timeout=30)]
    assert statuses == [health_pb2.HealthCheckResponse.NOT_SERVING]
    assert len(list(inflight)) == 7
    assert srv.proc.wait(timeout=60) == 0


def test_unknown_methods_answered_at_once_memory_flat(make_server):
    """Calls to methods the server does not have get UNIMPLEMENTED at once
    and leave nothing behind: resident memory stays flat over thousands of
    them (they used to wait for their deadline, ~14 KB kept per call)."""
    env = dict(os.environ)
    # AddressSanitizer keeps freed memory in quarantine (up to 256 MB),
    # which is its retention, not the server's: keep it small here.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1"
    srv = make_server(*TONE, env=env)
    ch, s = stub(srv.target)
    unknown = ch.unary_unary("/cosyvoice.CosyVoice/NoSuchMethod",
                             request_serializer=lambda b: b, response_deserializer=lambda b: b)

    def calls(n):
        """n calls, 100 in flight at a time (1000 at once makes gRPC's own
        high-water mark jump by several MB now and then)."""
        codes = set()
        for _ in range(n // 100):
            futures = [unknown.future(b"x" * 100, timeout=60) for _ in range(100)]
            for f in futures:
                with pytest.raises(grpc.RpcError) as e:
                    f.result()
                codes.add(e.value.code())
        return codes

    with pytest.raises(grpc.RpcError) as e:
        unknown(b"", timeout=10)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "NoSuchMethod" in e.value.details()
    assert calls(1000) == {grpc.StatusCode.UNIMPLEMENTED}  # warm-up
    before = rss_kib(srv.proc.pid)
    assert calls(3000) == {grpc.StatusCode.UNIMPLEMENTED}
    grown = rss_kib(srv.proc.pid) - before
    # Kept calls grew it ~14 KB each (42 MB here).
    assert grown < 4 * 1024, f"RSS grew {grown} KiB over 3000 unknown-method calls"
    # The real service is unaffected.
    chunks, _ = collect(s, tone_req("Still here."))
    assert len(chunks) == 1


def admitted_after_retries(s, req, attempts=200):
    """The call's chunks once it is admitted: the slot a cancelled call held
    is released just after its summary line is logged, so a call right
    after it may still meet RESOURCE_EXHAUSTED a few times."""
    for _ in range(attempts):
        try:
            return collect(s, req, timeout=60)[0]
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, e
            time.sleep(0.05)
    pytest.fail("the slot was never freed")


def test_send_timeout_frees_the_slot_of_a_client_that_never_reads(make_server):
    port = free_port()
    srv = make_server(*TONE, "--max-conc", "1", "--max-queue", "0", "--send-timeout", "1",
                      "--metrics-port", str(port), "--max-text", "100000")
    ch, s = stub(srv.target)
    stuck = s.Inference(tone_req(" ".join(["Sentence x."] * 5000)), timeout=120,
                        metadata=[("x-request-id", "never-reads")])
    next(stuck)  # and never again: the flow-control window fills, sends stall
    log = srv.wait_log("[never-reads] call mode=sft", timeout=60)
    line = [l for l in log.splitlines() if "[never-reads] call mode=sft" in l][0]
    assert "outcome=CANCELLED" in line and "--send-timeout" in line, line
    assert len(admitted_after_retries(s, tone_req("Next."))) == 1
    assert wait_for(lambda: value(scrape(port), "cosyvoice_send_timeouts_total") == 1)
    stuck.cancel()


def test_deadline_reported_as_deadline_exceeded(make_server):
    """A deadline that passes mid-synthesis is logged and counted as
    DEADLINE_EXCEEDED (it was CANCELLED), and the slot is freed."""
    port = free_port()
    srv = make_server(*TONE, "--max-conc", "1", "--max-queue", "0", "--metrics-port", str(port))
    _, s = stub(srv.target)
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("A. B. C. D. E. F.", instruct="delay=400"), timeout=1.0,
                metadata=[("x-request-id", "late")])
    assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    log = srv.wait_log("[late] call mode=instruct")
    assert "outcome=DEADLINE_EXCEEDED: the client's deadline passed" in log
    assert wait_for(lambda: calls(scrape(port), "instruct", "DEADLINE_EXCEEDED") == 1)
    assert len(admitted_after_retries(s, tone_req("Next."))) == 1


def test_deadline_before_the_request_message(make_server):
    """Headers, then no message until the deadline: DEADLINE_EXCEEDED (it
    was INVALID_ARGUMENT "no request message received")."""
    srv = make_server(*TONE)
    ch, _ = stub(srv.target)
    call = ch.stream_stream("/cosyvoice.CosyVoice/Inference",
                            request_serializer=lambda b: b, response_deserializer=lambda b: b)
    hold = threading.Event()

    def no_message():
        hold.wait(30)
        return
        yield b""

    with pytest.raises(grpc.RpcError) as e:
        list(call(no_message(), timeout=0.5, metadata=[("x-request-id", "silent")]))
    hold.set()
    assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    log = srv.wait_log("[silent] call mode=-")
    assert "outcome=DEADLINE_EXCEEDED" in log, log


def test_speed_out_of_range_refused(make_server):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    for speed in (0.001, 0.2, 4.5, 100.0, float("inf"), float("nan"), -1.0):
        with pytest.raises(grpc.RpcError) as e:
            collect(s, tone_req("Hi.", speed=speed))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, speed
        assert "0.25 to 4" in e.value.details()
    for speed in (0.25, 4.0):
        chunks, _ = collect(s, tone_req("Hi.", speed=speed))
        assert sum(len(c) for c in chunks) // 2 == int(22050 * 0.23 / speed)


def test_no_message_above_the_clients_4mb_limit(make_server):
    """The slowest accepted speed on one long non-streamed sentence makes
    5.3 MB of audio; it arrives in several messages (one was above the
    4 MB gRPC clients accept by default, and the call failed)."""
    srv = make_server(*TONE, "--max-text", "100000")
    _, s = stub(srv.target)
    sentence = "x" * 2999 + "."
    chunks, _ = collect(s, tone_req(sentence, speed=0.25, disable_streaming=True))
    assert len(chunks) > 1
    assert max(len(c) for c in chunks) <= 4 * 1024 * 1024 - 64
    assert sum(len(c) for c in chunks) // 2 == int(22050 * (0.2 + 0.01 * 3000) / 0.25)


def raw_call(ch):
    return ch.unary_stream("/cosyvoice.CosyVoice/Inference",
                           request_serializer=lambda b: b, response_deserializer=lambda b: b)


def sft_bytes(spk, text):
    """Request{sft_request{spk_id, tts_text}} by hand: protobuf encoders
    happily put a NUL inside a string."""
    inner = b"\x0a" + bytes([len(spk)]) + spk + b"\x12" + bytes([len(text)]) + text
    return b"\x0a" + bytes([len(inner)]) + inner


def test_nul_bytes_refused_not_truncated(make_server):
    """"Hello\0world" was spoken as "Hello", "tone-low\0junk" accepted."""
    srv = make_server(*TONE)
    ch, _ = stub(srv.target)
    for spk, text, field in ((b"tone-low", b"Hello\x00world.", "tts_text"),
                             (b"tone-low\x00junk", b"Hello world.", "spk_id")):
        with pytest.raises(grpc.RpcError) as e:
            list(raw_call(ch)(sft_bytes(spk, text), timeout=10))
        assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert f"{field} contains a NUL byte" in e.value.details()
    chunks = list(raw_call(ch)(sft_bytes(b"tone-low", b"Hello world."), timeout=10))
    assert len(chunks) == 1


def test_control_characters_cannot_forge_log_lines(make_server):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    forged = "nobody\n2030-01-01T00:00:00.000Z INFO  [admin] forged\x1b[2J\x1b]0;owned\x07"
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("Hi.", spk=forged), metadata=[("x-request-id", "inject")])
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    log = srv.wait_log("[inject] call")
    lines = [l for l in log.splitlines() if "forged" in l]
    assert len(lines) == 1 and "[inject] call" in lines[0], lines
    assert "\\n2030-01-01" in lines[0] and "\\x1b[2J" in lines[0]
    assert "\x1b" not in log and "\x07" not in log


def test_unreadable_compression_named(make_server, tmp_path):
    """A message compressed with an encoding gRPC core cannot decode
    reached us still compressed, refused as "not a valid Request"; now
    UNIMPLEMENTED, saying so. curl sends what grpcio would not."""
    import gzip
    import struct
    import subprocess
    srv = make_server(*TONE)
    body = gzip.compress(sft_bytes(b"tone-low", b"Hello."))
    frame = tmp_path / "frame.bin"
    frame.write_bytes(b"\x01" + struct.pack(">I", len(body)) + body)
    r = subprocess.run(["curl", "-sv", "--http2-prior-knowledge", "-o", "/dev/null",
                        "-H", "content-type: application/grpc", "-H", "te: trailers",
                        "-H", "grpc-encoding: x-custom", "--data-binary", f"@{frame}",
                        f"http://{srv.target}/cosyvoice.CosyVoice/Inference"],
                       capture_output=True, text=True, timeout=30)
    assert "grpc-status: 12" in r.stderr, r.stderr
    assert "still compressed" in r.stderr and "gzip" in r.stderr


def test_busy_refusal_counts_agree_with_the_limits(make_server):
    """The refusal states the limits it applied ("3 waiting" was reported
    with --max-queue 2 when a worker was between two calls)."""
    srv = make_server(*TONE, "--max-conc", "1", "--max-queue", "2", "-v")
    _, s = stub(srv.target)
    slow = tone_req("A. B. C. D.", instruct="delay=300")
    held = []
    for i in range(3):
        held.append(s.Inference(slow, timeout=60, metadata=[("x-request-id", f"held-{i}")]))
        if i == 0:
            next(held[0])
        else:
            srv.wait_log(f"[held-{i}] submitting for admission")
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("One more."), timeout=60)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "3 calls are synthesizing or waiting" in e.value.details()
    assert "--max-conc 1 + --max-queue 2" in e.value.details()
    assert [len(list(c)) for c in held] == [3, 4, 4]


def long_word(n, seed=7):
    import random
    rnd = random.Random(seed)
    return "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n))


def test_long_word_neither_blocks_english_nor_outlives_its_deadline(make_server):
    """One 4000-letter word was a single flite call (20 s, 730 MB here, and
    growing with the square of its length) under flite's process-wide
    lock: other English calls waited behind it and its deadline freed
    nothing. The front end now cuts it into 64-letter pieces."""
    srv = make_server("--max-conc", "2", "--max-queue", "0", "-v")
    _, s = stub(srv.target)
    first = threading.Event()
    outcome = {}

    def long_call():
        try:
            for _ in s.Inference(sft(long_word(4000), "英文女"), timeout=8,
                                 metadata=[("x-request-id", "long-word")]):
                first.set()
            outcome["code"] = grpc.StatusCode.OK
        except grpc.RpcError as e:
            outcome["code"] = e.code()
        first.set()

    t = threading.Thread(target=long_call)
    t.start()
    first.wait(60)
    assert "code" not in outcome, f"the long word ended before any audio: {outcome}"
    # Another English call is served while the long one is still going.
    chunks, _ = collect(s, sft("Hello there, another English call.", "英文男"), timeout=60)
    assert chunks
    assert "[long-word] call" not in srv.logs()
    t.join(60)
    assert outcome["code"] == grpc.StatusCode.DEADLINE_EXCEEDED
    log = srv.wait_log("[long-word] call")
    assert "outcome=DEADLINE_EXCEEDED" in log
    segments = [l for l in log.splitlines() if "espeak[long-word]" in l]
    assert segments and int(segments[0].split(": ")[1].split()[0]) >= 4000 // 64
    # Its slot is free again.
    assert admitted_after_retries(s, sft("And a third.", "英文女"))


PUNCTUATION_ONLY = ["。。。", "?!...", "😀😀😀", "<strong></strong>", "—— ……", "♪ ♫"]


def test_nothing_to_speak_refused_by_both_engines(make_server):
    """espeak returned OK with no audio where the neural engine said
    INVALID_ARGUMENT; both refuse such texts the same way now."""
    model = os.path.join(os.path.dirname(__file__), "..", "data", "golden", "cosyvoice-v1-tiny")
    for args in ((), ("--engine", "cosyvoice", "--model-dir", model,
                      "--engine-opt", "fixed_tokens=50")):
        srv = make_server(*args)
        _, s = stub(srv.target)
        for text in PUNCTUATION_ONLY:
            with pytest.raises(grpc.RpcError) as e:
                collect(s, sft(text, "英文女"))
            assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (args, text)
            assert "nothing to speak" in e.value.details()
        chunks, _ = collect(s, sft("[laughter]", "英文女"))  # an event is something
        assert chunks
