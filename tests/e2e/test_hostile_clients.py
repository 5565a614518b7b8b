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

from conftest import collect, cosyvoice_pb2, health_pb2, sft, stub

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

    def burst(n):
        futures = [unknown.future(b"x" * 100, timeout=60) for _ in range(n)]
        codes = set()
        for f in futures:
            with pytest.raises(grpc.RpcError) as e:
                f.result()
            codes.add(e.value.code())
        return codes

    with pytest.raises(grpc.RpcError) as e:
        unknown(b"", timeout=30)
    assert e.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "NoSuchMethod" in e.value.details()
    assert burst(1000) == {grpc.StatusCode.UNIMPLEMENTED}  # warm-up
    before = rss_kib(srv.proc.pid)
    for _ in range(3):
        assert burst(1000) == {grpc.StatusCode.UNIMPLEMENTED}
    grown = rss_kib(srv.proc.pid) - before
    assert grown < 8 * 1024, f"RSS grew {grown} KiB over 3000 unknown-method calls"
    # The real service is unaffected.
    chunks, _ = collect(s, tone_req("Still here."))
    assert len(chunks) == 1
