"""Server mechanics against the diagnostic "tone" engine, whose output is
exactly predictable: streaming, status codes, limits, cancellation, slots,
flow control, request ids, health, and graceful shutdown."""
import threading
import time

import grpc
import pytest

from conftest import collect, cosyvoice_pb2, health_pb2, sft, stub

TONE = ("--engine", "tone")


def tone_req(text, spk="tone-low", instruct=None):
    if instruct is not None:
        return cosyvoice_pb2.Request(instruct_request=cosyvoice_pb2.instructRequest(
            tts_text=text, spk_id=spk, instruct_text=instruct))
    return sft(text, spk)


def expected_samples(sentence_bytes):
    return int(22050 * (0.2 + 0.01 * sentence_bytes))


def test_streams_one_chunk_per_sentence(make_server):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    chunks, _ = collect(s, tone_req("One. Two two. Three!"))
    assert [len(c) // 2 for c in chunks] == [expected_samples(4), expected_samples(8),
                                             expected_samples(6)]
    assert all(len(c) % 2 == 0 for c in chunks)


def test_response_extension_fields(make_server):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    resps = list(s.Inference(tone_req("A. B."), timeout=30))
    assert [r.sample_rate for r in resps] == [22050, 22050]
    assert [r.chunk_index for r in resps] == [0, 1]


def test_chunks_arrive_while_synthesizing(make_server):
    """With 300 ms of synthesis per sentence, the first chunk must arrive
    well before the last one is made: it is streamed, not batched."""
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    arrivals = []
    t0 = time.monotonic()
    for _ in s.Inference(tone_req("A. B. C. D.", instruct="delay=300"), timeout=30):
        arrivals.append(time.monotonic() - t0)
    assert len(arrivals) == 4
    # Ordering facts, not timing thresholds: each chunk is received before
    # the next one could even have been synthesized (300 ms each).
    assert arrivals[0] < arrivals[3] - 0.6


@pytest.mark.parametrize("req,fragment", [
    (cosyvoice_pb2.Request(), "no payload"),
    (sft("   ", "tone-low"), "empty"),
    (sft("hello", "nobody"), "tone-low"),
    (cosyvoice_pb2.Request(zero_shot_request=cosyvoice_pb2.zeroshotRequest(
        tts_text="hi", prompt_text="x", prompt_audio=b"\x01\x02\x03")), "odd"),
    (cosyvoice_pb2.Request(cross_lingual_request=cosyvoice_pb2.crosslingualRequest(
        tts_text="hi")), "prompt_audio"),
    (cosyvoice_pb2.Request(zero_shot_request=cosyvoice_pb2.zeroshotRequest(
        tts_text="hi", prompt_audio=b"\x10\x20" * 16000)), "prompt_text"),
    (cosyvoice_pb2.Request(cross_lingual_request=cosyvoice_pb2.crosslingualRequest(
        tts_text="hi", prompt_audio=b"\x00\x00" * 16000)), "silent"),
    (cosyvoice_pb2.Request(cross_lingual_request=cosyvoice_pb2.crosslingualRequest(
        tts_text="hi", prompt_audio=b"\x10\x20" * 4000)), "0.5"),
])
def test_invalid_argument(make_server, req, fragment):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    with pytest.raises(grpc.RpcError) as e:
        collect(s, req)
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in e.value.details()
    # The server keeps serving.
    chunks, _ = collect(s, tone_req("Still alive."))
    assert chunks


@pytest.mark.parametrize("engine", [TONE, ()])
def test_instruct_with_a_recording_needs_cosyvoice2(make_server, engine):
    """instruct with prompt_audio (CosyVoice2/3's instruct2) on an engine that
    has no such mode: FAILED_PRECONDITION saying what serves it, not an
    'unknown speaker' for the missing spk_id."""
    srv = make_server(*engine)
    _, s = stub(srv.target)
    with pytest.raises(grpc.RpcError) as e:
        collect(s, cosyvoice_pb2.Request(instruct_request=cosyvoice_pb2.instructRequest(
            tts_text="Hello.", instruct_text="Softly.", prompt_audio=b"\x10\x20" * 16000)))
    assert e.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "CosyVoice2/3" in e.value.details() and "spk_id" in e.value.details()


def test_invalid_utf8_and_text_limit(make_server):
    srv = make_server(*TONE, "--max-text", "20")
    ch, s = stub(srv.target)
    # Hand-built bytes: sft_request{spk_id="tone-low", tts_text=b"\xff\xfe"}.
    spk = b"tone-low"
    inner = b"\x0a" + bytes([len(spk)]) + spk + b"\x12\x02\xff\xfe"
    raw = b"\x0a" + bytes([len(inner)]) + inner
    call = ch.unary_stream("/cosyvoice.CosyVoice/Inference",
                           request_serializer=lambda b: b, response_deserializer=lambda b: b)
    with pytest.raises(grpc.RpcError) as e:
        list(call(raw, timeout=10))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("x" * 21))
    assert e.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "--max-text" in e.value.details()


def test_request_too_large(make_server):
    srv = make_server(*TONE, "--max-request-bytes", "100000")
    _, s = stub(srv.target)
    req = cosyvoice_pb2.Request(cross_lingual_request=cosyvoice_pb2.crosslingualRequest(
        tts_text="hi", prompt_audio=b"\x10\x20" * 60000))
    with pytest.raises(grpc.RpcError) as e:
        collect(s, req)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    chunks, _ = collect(s, tone_req("Fine."))
    assert chunks


def test_internal_failure_is_isolated(make_server):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("A. B. C.", instruct="fail"), metadata=[("x-request-id", "boom-1")])
    assert e.value.code() == grpc.StatusCode.INTERNAL
    srv.wait_log("boom-1")
    chunks, _ = collect(s, tone_req("Next call works."))
    assert len(chunks) == 1


def test_request_id_echoed_and_logged(make_server):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    call = s.Inference(tone_req("Hi."), timeout=10, metadata=[("x-request-id", "abc-123")])
    list(call)
    assert ("x-request-id", "abc-123") in call.initial_metadata()
    srv.wait_log("[abc-123] call mode=sft")
    call = s.Inference(tone_req("Hi."), timeout=10)
    list(call)
    generated = dict(call.initial_metadata())["x-request-id"]
    assert generated
    srv.wait_log(f"[{generated}]")


def test_overload_refused_at_once(make_server):
    srv = make_server(*TONE, "--max-conc", "1", "--max-queue", "1", "-v")
    _, s = stub(srv.target)
    slow = tone_req("A. B. C. D. E.", instruct="delay=400")
    running = s.Inference(slow, timeout=60, metadata=[("x-request-id", "running")])
    next(running)  # holds the only slot
    waiting = s.Inference(slow, timeout=60, metadata=[("x-request-id", "waiting")])
    srv.wait_log("[waiting] submitting for admission")
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("Third."), timeout=60)
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "--max-conc" in e.value.details()
    # Refused at once: while the running call (2 s of work) is still going.
    assert "[running] call mode" not in srv.logs()
    # The queued call is served once the slot frees.
    assert len(list(waiting)) == 5
    assert len(list(running)) == 4


def test_cancel_frees_slot(make_server):
    srv = make_server(*TONE, "--max-conc", "1", "--max-queue", "0")
    _, s = stub(srv.target)
    long_call = s.Inference(tone_req(". ".join(["Sentence"] * 200), instruct="delay=200"),
                            timeout=120)
    next(long_call)
    long_call.cancel()
    # The slot is free right after the cancel: a new call is admitted (it may
    # race the worker noticing the cancel, so allow a few immediate retries).
    for attempt in range(50):
        try:
            chunks, _ = collect(s, tone_req("Reused."), timeout=30)
            break
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            time.sleep(0.05)
    else:
        pytest.fail("slot was not freed after cancel")
    assert chunks
    srv.wait_log("outcome=CANCELLED")


def test_deadline_exceeded(make_server):
    srv = make_server(*TONE)
    _, s = stub(srv.target)
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("A. B. C. D. E. F.", instruct="delay=500"), timeout=0.8)
    assert e.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    chunks, _ = collect(s, tone_req("After deadline."))
    assert chunks
    # The server noticed and stopped that synthesis, and says why.
    srv.wait_log("outcome=DEADLINE_EXCEEDED")


def test_slow_reader_bounded(make_server):
    """A client that stops reading pauses synthesis: the server does not
    synthesize the whole text ahead into memory."""
    srv = make_server(*TONE, "--chunk-queue", "2", "--max-text", "100000")
    ch, s = stub(srv.target)
    # 400 sentences of ~0.3 s each; each chunk ~13 KB.
    text = " ".join(["Sentence number x."] * 2000)  # ~33 MB of audio
    call = s.Inference(tone_req(text), timeout=120)
    next(call)
    time.sleep(2.0)  # do not read
    call.cancel()
    log = srv.wait_log("outcome=CANCELLED")
    line = [l for l in log.splitlines() if "call mode=sft" in l and "CANCELLED" in l][-1]
    produced = int(line.split("chunks=")[1].split()[0])
    # Without backpressure all 2000 chunks would be produced well within 2 s;
    # with it, only what fits the queue and the transport's flow-control
    # window (a few MB) is made.
    assert produced < 1000, line


def test_health_check(make_server):
    srv = make_server(*TONE)
    ch, _ = stub(srv.target)
    check = ch.unary_unary("/grpc.health.v1.Health/Check",
                           request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                           response_deserializer=health_pb2.HealthCheckResponse.FromString)
    assert check(health_pb2.HealthCheckRequest(), timeout=5).status == \
        health_pb2.HealthCheckResponse.SERVING
    assert check(health_pb2.HealthCheckRequest(service="cosyvoice.CosyVoice"),
                 timeout=5).status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.RpcError) as e:
        check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
    assert e.value.code() == grpc.StatusCode.NOT_FOUND


def test_graceful_shutdown_lets_calls_finish(make_server):
    srv = make_server(*TONE, "--grace", "20")
    _, s = stub(srv.target)
    got = {}

    def run():
        got["chunks"], _ = collect(s, tone_req("A. B. C. D.", instruct="delay=300"), timeout=60)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.4)
    srv.proc.send_signal(15)
    t.join(30)
    assert len(got["chunks"]) == 4
    assert srv.proc.wait(timeout=30) == 0


def test_grace_expiry_cancels_rest(make_server):
    srv = make_server(*TONE, "--grace", "0.5")
    _, s = stub(srv.target)
    errors = []

    def run():
        try:
            collect(s, tone_req(". ".join(["Long"] * 100), instruct="delay=200"), timeout=60)
        except grpc.RpcError as e:
            errors.append(e.code())

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.5)
    srv.proc.send_signal(15)
    assert srv.proc.wait(timeout=30) == 0
    t.join(30)
    assert errors and errors[0] in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)


def health_stubs(target):
    ch, _ = stub(target)
    check = ch.unary_unary("/grpc.health.v1.Health/Check",
                           request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                           response_deserializer=health_pb2.HealthCheckResponse.FromString)
    watch = ch.unary_stream("/grpc.health.v1.Health/Watch",
                            request_serializer=health_pb2.HealthCheckRequest.SerializeToString,
                            response_deserializer=health_pb2.HealthCheckResponse.FromString)
    return check, watch


def test_draining_not_serving_and_refusing(make_server):
    """During the grace period: health says NOT_SERVING, Watch streams get
    the update, new calls are refused with UNAVAILABLE, the call in flight
    completes."""
    srv = make_server(*TONE, "--grace", "30")
    check, watch = health_stubs(srv.target)
    _, s = stub(srv.target)
    watcher = watch(health_pb2.HealthCheckRequest(), timeout=60)
    assert next(watcher).status == health_pb2.HealthCheckResponse.SERVING
    unknown = watch(health_pb2.HealthCheckRequest(service="other"), timeout=60)
    assert next(unknown).status == health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
    inflight = s.Inference(tone_req("A. B. C. D. E. F.", instruct="delay=300"), timeout=60)
    next(inflight)
    srv.proc.send_signal(15)
    assert next(watcher).status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert list(watcher) == []  # stream ended
    assert check(health_pb2.HealthCheckRequest(), timeout=5).status == \
        health_pb2.HealthCheckResponse.NOT_SERVING
    with pytest.raises(grpc.RpcError) as e:
        collect(s, tone_req("New call."))
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE
    assert len(list(inflight)) == 5
    unknown.cancel()
    assert srv.proc.wait(timeout=30) == 0
