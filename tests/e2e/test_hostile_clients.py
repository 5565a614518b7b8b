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
from test_server_mechanics import health_stubs

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
    _, watch = health_stubs(srv.target)
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


def nofile(n):
    """preexec_fn: the server runs with RLIMIT_NOFILE n (soft and hard)."""
    import resource

    def set_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return set_limit


def flood(port, n):
    """n idle TCP connections (they connect even when the server does not
    accept them: the kernel's backlog takes them)."""
    socks = []
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    return socks


def served(target, attempts=100):
    """A fresh client gets a call through (a connection the server closed
    at its limit, or one just freed, may need another try)."""
    for _ in range(attempts):
        ch = grpc.insecure_channel(target)
        try:
            return list(cosyvoice_pb2_grpc_stub(ch).Inference(tone_req("Hi."), timeout=10))
        except grpc.RpcError as e:
            assert e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED), e
            time.sleep(0.1)
        finally:
            ch.close()
    pytest.fail("no call got through")


def cosyvoice_pb2_grpc_stub(ch):
    import cosyvoice_pb2_grpc
    return cosyvoice_pb2_grpc.CosyVoiceStub(ch)


def test_connection_floods_are_bounded_and_the_ports_recover(make_server):
    """With RLIMIT_NOFILE 128, 300 idle connections to each port: the gRPC
    port keeps at most its share open (closing the rest at once), the
    metrics port its own, nothing runs out of descriptors, a few log lines
    tell, and once the flood is gone both serve again. Before, the process
    ran out of descriptors, the metrics port logged 800,000 lines, and the
    gRPC port never accepted again."""
    mport = free_port()
    srv = make_server(*TONE, "--metrics-port", str(mport), preexec_fn=nofile(128))
    log = srv.wait_log("listening on")
    line = [l for l in log.splitlines() if "listening on" in l][0]
    limit = int(line.split("max-connections ")[1].split(")")[0])
    assert 4 <= limit < 128 and "RLIMIT_NOFILE 128 leaves room" in log
    socks = flood(srv.port, 300)
    # The metrics port has its own share and still answers. The kernel's
    # backlog took the connections; the server accepts them at its own pace,
    # so the gauge climbs to the limit, and must never pass it.
    seen = []

    def at_limit():
        m = scrape(mport)
        seen.append(value(m, "cosyvoice_connections", listener="grpc"))
        refused = value(m, "cosyvoice_connections_refused_total", listener="grpc")
        return m if seen[-1] >= limit and refused > 0 else None
    m = wait_for(at_limit)
    assert m is not None and max(seen) == limit, seen
    socks += flood(mport, 300)
    for sk in socks:
        sk.close()
    assert served(srv.target)
    assert wait_for(lambda: scrape(mport))
    log = srv.logs()
    assert "Too many open files" not in log and "out of file descriptors" not in log
    assert log.count("refusing new ones") <= 3  # rate-limited
    assert len(log.splitlines()) < 40


def test_descriptor_limit_checked_at_start(tmp_path):
    """An explicit --max-connections that cannot fit in RLIMIT_NOFILE stops
    the server at start-up, saying what to raise."""
    import subprocess

    from conftest import SERVER
    p = subprocess.run([SERVER, "--engine", "tone", "--port", "0", "--max-connections", "1000"],
                       capture_output=True, text=True, timeout=60, preexec_fn=nofile(128))
    assert p.returncode != 0
    assert "RLIMIT_NOFILE is 128" in p.stderr and "--max-connections" in p.stderr


def trickle(port, pieces, gap=0.25):
    """Sends pieces one by one, gap seconds apart; returns how many went
    out before the server closed the connection (len(pieces): never)."""
    c = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.settimeout(0.01)
    try:
        for i, p in enumerate(pieces):
            try:
                if p:
                    c.sendall(p)
                if c.recv(65536) == b"":
                    return i
            except socket.timeout:
                pass
            except OSError:
                return i
            time.sleep(gap)
        return len(pieces)
    finally:
        c.close()


def test_a_trickle_cannot_extend_the_header_timeout(make_server):
    """--header-timeout is a deadline from the moment a connection is
    accepted: a header line every 0.25 s (metrics and HTTP ports), the HTTP/2 preface
    one byte at a time or nothing at all (gRPC port) do not push it back.
    Each trickle below would last 10 s; the deadline is 1 s."""
    mport, hport = free_port(), free_port()
    srv = make_server(*TONE, "--metrics-port", str(mport), "--http-port", str(hport),
                      "--header-timeout", "1")
    headers = [b"GET /metrics HTTP/1.1\r\n"] + [b"X-Slow: yes\r\n"] * 39
    assert trickle(mport, headers) < len(headers)
    headers[0] = b"GET /health HTTP/1.1\r\n"
    assert trickle(hport, headers) < len(headers)
    preface = [bytes([b]) for b in b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"] + [b""] * 16
    assert trickle(srv.port, preface) < len(preface)
    assert trickle(srv.port, [b""] * 40) < 40
    # Prompt clients are unaffected.
    assert scrape(mport)
    chunks, _ = collect(stub(srv.target)[1], tone_req("Hi."))
    assert chunks


def test_idle_connections_closed(make_server):
    """A connection with no call for --idle-timeout is closed (a GOAWAY:
    gRPC clients reconnect by themselves for their next call)."""
    srv = make_server(*TONE, "--idle-timeout", "1")
    settings = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    hello = [b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + settings] + [b""] * 39
    assert trickle(srv.port, hello) < len(hello)
    ch, s = stub(srv.target)
    assert collect(s, tone_req("Hi."))[0]
    time.sleep(1.5)  # idle past the timeout: the channel is closed under the client
    assert collect(s, tone_req("Again."))[0]
