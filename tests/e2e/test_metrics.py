"""The Prometheus endpoint (--metrics-port): scraped with urllib before and
after calls to the diagnostic tone engine, whose output is predictable."""
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request

import grpc
import pytest

import conftest
from conftest import cosyvoice_pb2, free_port, sft, stub

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"')


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = r.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            assert line == "" or line.startswith(("# HELP ", "# TYPE ")), line
            continue
        m = SAMPLE.match(line)
        assert m, f"not Prometheus text format: {line!r}"
        labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
        samples[(m.group(1), labels)] = float(m.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def calls(samples, mode, code):
    return value(samples, "cosyvoice_calls_total", mode=mode, code=code)


def wait_for(pred, timeout=20):
    """Polls until pred() is true (the server counts a call just after its
    status is handed to the transport, so a client may see it first)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.05)


def metrics_server(make_server, *extra):
    port = free_port()
    srv = make_server("--engine", "tone", "--metrics-port", str(port), *extra)
    return srv, port


def instruct(text, how):
    return cosyvoice_pb2.Request(instruct_request=cosyvoice_pb2.instructRequest(
        tts_text=text, spk_id="tone-low", instruct_text=how))


def test_counters_follow_calls(make_server):
    srv, port = metrics_server(make_server)
    before = scrape(port)
    assert calls(before, "sft", "OK") == 0
    assert value(before, "cosyvoice_audio_seconds_total") == 0
    assert value(before, "cosyvoice_engine_info", engine="tone", sample_rate="22050") == 1
    assert value(before, "cosyvoice_engine_load_seconds") >= 0
    assert value(before, "process_resident_memory_bytes") > 1 << 20

    _, s = stub(srv.target)
    received = 0
    for text in ("One. Two.", "Three."):
        received += sum(len(r.tts_audio) // 2
                        for r in s.Inference(sft(text, "tone-high"), timeout=20))
    with pytest.raises(grpc.RpcError) as e:
        list(s.Inference(sft("Who?", "nobody"), timeout=20))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # "fail": an INTERNAL error after the first chunk, whose audio counts too
    it = s.Inference(instruct("First. Second.", "fail"), timeout=20)
    with pytest.raises(grpc.RpcError) as e:
        for r in it:
            received += len(r.tts_audio) // 2
    assert e.value.code() == grpc.StatusCode.INTERNAL

    # The in-flight gauge drops when a call's resources are released, which
    # is after the client has its status (gRPC's close completes later).
    after = wait_for(lambda: (lambda m: m if calls(m, "instruct", "INTERNAL") == 1 and
                              value(m, "cosyvoice_calls_in_flight") == 0 else None)(
        scrape(port)))
    assert after, "the failed call was never counted, or a call stayed in flight"
    assert calls(after, "sft", "OK") == 2
    assert calls(after, "sft", "INVALID_ARGUMENT") == 1
    assert calls(after, "instruct", "INTERNAL") == 1
    assert calls(after, "instruct", "OK") == 0
    assert value(after, "cosyvoice_audio_seconds_total") == pytest.approx(received / 22050,
                                                                          abs=1e-6)
    # Histograms: every call has a duration; three sent audio (ttfc, rtf).
    assert value(after, "cosyvoice_call_duration_seconds_count") == 4
    assert value(after, "cosyvoice_call_duration_seconds_bucket", le="+Inf") == 4
    assert value(after, "cosyvoice_time_to_first_chunk_seconds_count") == 3
    assert value(after, "cosyvoice_real_time_factor_count") == 3
    # Buckets are cumulative.
    les = sorted((float(dict(k[1])["le"]), v) for k, v in after.items()
                 if k[0] == "cosyvoice_call_duration_seconds_bucket")
    counts = [v for _, v in les]
    assert counts == sorted(counts)
    assert value(after, "cosyvoice_calls_in_flight") == 0


def test_gauges_show_calls_in_flight_and_queued(make_server):
    srv, port = metrics_server(make_server, "--max-conc", "1", "--max-queue", "2")
    _, s = stub(srv.target)
    # A slow call (one second per sentence) holds the only slot.
    slow = s.Inference(instruct("A. B. C. D. E.", "delay=1000"), timeout=60)
    next(slow)  # it is synthesizing now
    m = scrape(port)
    assert value(m, "cosyvoice_calls_running") == 1
    assert value(m, "cosyvoice_calls_in_flight") == 1
    assert value(m, "cosyvoice_calls_queued") == 0

    # A second call has to wait for the slot.
    done = []
    t = threading.Thread(target=lambda: done.append(
        sum(1 for _ in s.Inference(sft("Waiting.", "tone-low"), timeout=60))))
    t.start()
    queued = wait_for(lambda: value(scrape(port), "cosyvoice_calls_queued") == 1)
    assert queued, "the second call never showed as queued"
    m = scrape(port)
    assert value(m, "cosyvoice_calls_in_flight") == 2
    assert value(m, "cosyvoice_calls_running") == 1
    slow.cancel()
    t.join(60)
    assert done == [1]
    m = wait_for(lambda: (lambda m: m if calls(m, "sft", "OK") == 1 else None)(scrape(port)))
    assert m
    assert calls(m, "instruct", "CANCELLED") == 1
    assert value(m, "cosyvoice_calls_queued") == 0


def test_other_paths_are_not_found(make_server):
    _, port = metrics_server(make_server)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
    assert e.value.code == 404


def test_busy_metrics_port_stops_the_server(make_server):
    _, port = metrics_server(make_server)
    p = subprocess.run([conftest.SERVER, "--engine", "tone", "--host", "127.0.0.1", "--port",
                        str(free_port()), "--metrics-port", str(port)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert f"127.0.0.1:{port}" in p.stderr and "metrics" in p.stderr
    assert "ready" not in p.stdout
