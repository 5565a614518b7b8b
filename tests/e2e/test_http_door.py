"""The HTTP door's mechanics and errors against the tone engine: it shares
the gRPC door's slots, queue, limits, request ids, metrics and drain;
streams while it synthesizes; a client that hangs up frees its slot; every
malformed request gets a clear 4xx and the server keeps serving."""
import json
import re
import socket
import subprocess
import urllib.request

import pytest

from conftest import collect, free_port, sft, stub
from http_util import (PROMPT_WAV, TONE, error_of, infer, multipart, open_stream, request,
                       speech, start)


def slow_fields(sentences=40, delay=200):
    return {"tts_text": " ".join(["Sentence."] * sentences), "spk_id": "tone-low",
            "instruct_text": f"delay={delay}"}


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def metric(text, name):
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def read_some(sock, n):
    got = b""
    while len(got) < n:
        b = sock.recv(65536)
        assert b, f"connection closed after {len(got)} bytes: {got[:300]!r}"
        got += b
    return got


def slow_stream(server, sentences=40):
    body, ctype = multipart(slow_fields(sentences))
    sock = open_stream(server, "POST", "/inference_instruct", body, {"Content-Type": ctype})
    head = read_some(sock, 2000)  # status line, headers and the first audio
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    return sock


def test_audio_streams_while_it_is_synthesized(make_server):
    mport = free_port()
    s = start(make_server, *TONE, "--metrics-port", str(mport))
    sock = slow_stream(s)
    # Audio arrived and the call still holds its slot: sent before the end.
    assert metric(scrape(mport), "cosyvoice_calls_running") == 1
    sock.close()
    s.wait_log("outcome=CANCELLED")


def test_hang_up_mid_stream_frees_the_slot(make_server):
    s = start(make_server, *TONE, "--max-conc", "1", "--max-queue", "0")
    sock = slow_stream(s)
    status, _, _ = infer(s, "sft", {"tts_text": "Busy?", "spk_id": "tone-low"})
    assert status == 429
    sock.close()
    s.wait_log("outcome=CANCELLED")
    status, _, body = infer(s, "sft", {"tts_text": "Free again.", "spk_id": "tone-low"})
    assert status == 200 and len(body) > 0


def test_hang_up_while_queued_leaves_the_queue(make_server):
    s = start(make_server, *TONE, "--max-conc", "1", "--max-queue", "1")
    running = slow_stream(s)
    body, ctype = multipart({"tts_text": "Queued.", "spk_id": "tone-low"})
    queued = open_stream(s, "POST", "/inference_sft", body, {"Content-Type": ctype})
    queued.close()
    s.wait_log("the client went away while waiting for a slot")
    running.close()
    assert "outcome=CANCELLED" in s.wait_log("call mode=instruct").split("call mode=instruct")[1]
    status, _, _ = infer(s, "sft", {"tts_text": "Next.", "spk_id": "tone-low"})
    assert status == 200


def test_overload_is_429_with_retry_after_and_grpc_shares_the_slots(make_server):
    s = start(make_server, *TONE, "--max-conc", "1", "--max-queue", "0")
    sock = slow_stream(s)
    status, headers, body = speech(s, {"input": "Hi.", "voice": "tone-low"})
    assert status == 429 and headers["retry-after"] == "1"
    err = error_of(body)
    assert err["code"] == "server_busy" and "--max-conc 1" in err["message"]
    # The gRPC door sees the same slot taken.
    import grpc
    _, st = stub(s.target)
    with pytest.raises(grpc.RpcError) as e:
        collect(st, sft("Hi.", "tone-low"))
    assert e.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    sock.close()


def test_request_id_is_echoed_and_logged(make_server):
    s = start(make_server, *TONE)
    status, headers, _ = infer(s, "sft", {"tts_text": "Hi.", "spk_id": "tone-low"},
                               headers={"X-Request-Id": "web-42"})
    assert status == 200 and headers["x-request-id"] == "web-42"
    s.wait_log("[web-42] call mode=sft")
    status, headers, body = speech(s, {"input": "", "voice": "tone-low"},
                                   headers={"X-Request-Id": "web-43"})
    assert status == 400 and headers["x-request-id"] == "web-43"
    s.wait_log("[web-43] call mode=sft text_chars=0")


def test_http_calls_count_in_the_metrics(make_server):
    mport = free_port()
    s = start(make_server, *TONE, "--metrics-port", str(mport))
    for _ in range(2):
        assert infer(s, "sft", {"tts_text": "Hi.", "spk_id": "tone-low"})[0] == 200
    assert speech(s, {"input": "Hi.", "voice": "nobody"})[0] == 404
    s.wait_log("NOT_FOUND")
    text = scrape(mport)
    assert metric(text, 'cosyvoice_calls_total{mode="sft",code="OK"}') == 2
    assert metric(text, 'cosyvoice_calls_total{mode="sft",code="NOT_FOUND"}') == 1


BAD_FORMS = [
    # (route, fields, files, status, words in the message)
    ("sft", {"spk_id": "tone-low"}, (), 400, "tts_text is required"),
    ("sft", {"tts_text": "   ", "spk_id": "tone-low"}, (), 400, "empty"),
    ("sft", {"tts_text": "Hi.", "spk_id": "nobody"}, (), 400, "tone-low"),
    ("sft", {"tts_text": "Hi.\0there", "spk_id": "tone-low"}, (), 400, "NUL"),
    ("sft", {"tts_text": "Hi.", "spk_id": "tone-low", "speed": "fast"}, (), 400, "speed"),
    ("zero_shot", {"tts_text": "Hi.", "prompt_text": "A."}, (), 400, "prompt_wav"),
    ("zero_shot", {"tts_text": "Hi.", "prompt_text": "A."},
     (("prompt_wav", "x.wav", b"this is not audio at all" * 40),), 400, "prompt_wav"),
    ("cross_lingual", {"tts_text": "Hi."}, (("prompt_wav", "x.wav", b"RIFF\0\0\0\0WAVE"),), 400,
     "prompt_wav"),
    ("instruct2", {"tts_text": "Hi.", "instruct_text": "Softly."},
     (("prompt_wav", "p.wav", open(PROMPT_WAV, "rb").read()),), 400, "CosyVoice2/3"),
    ("instruct2", {"tts_text": "Hi."}, (("prompt_wav", "p.wav", open(PROMPT_WAV, "rb").read()),),
     400, "instruct_text"),
    ("instruct2", {"tts_text": "Hi.", "instruct_text": "Softly."}, (), 400, "prompt_wav"),
]


@pytest.mark.parametrize("route,fields,files,status,words", BAD_FORMS)
def test_bad_forms_get_clear_errors(make_server, route, fields, files, status, words):
    s = start(make_server, *TONE)
    got, headers, body = infer(s, route, fields, files)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert words in error_of(body)["message"]
    assert infer(s, "sft", {"tts_text": "Still here.", "spk_id": "tone-low"})[0] == 200


def test_broken_bodies(make_server):
    s = start(make_server, *TONE, "--max-request-bytes", "4096")
    ctype = "multipart/form-data; boundary=XYZ"
    cases = [
        (b"--XYZ\r\nContent-Disposition: form-data; name=\"tts_text\"\r\n\r\nHi", ctype, 400),
        (b"garbage with no boundary at all", ctype, 400),
        (b"\x00\x01\x02", "application/octet-stream", 400),
    ]
    for body, ct, status in cases:
        got, _, reply = request(s, "POST", "/inference_sft", body, {"Content-Type": ct})
        assert got == status, (body, reply)
        assert error_of(reply)["message"]
    # Over --max-request-bytes: refused from the declared length...
    big = b"x" * 5000
    for path in ("/inference_sft", "/v1/audio/speech"):
        got, _, reply = request(s, "POST", path, big, {"Content-Type": ctype})
        assert got == 413 and error_of(reply)["code"] == "request_too_large"
    # ...or, sent in chunks with no length, once it passes the limit.
    conn = __import__("http.client").client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
    conn.request("POST", "/v1/audio/speech", body=iter([b"{" + b" " * 3000, b" " * 3000 + b"}"]),
                 headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                 encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 413, resp.read()
    conn.close()
    assert infer(s, "sft", {"tts_text": "Still here.", "spk_id": "tone-low"})[0] == 200


BAD_JSON = [
    (b"", 400, None, "empty"),
    (b"[1, 2]", 400, None, "JSON object"),
    (b"{\"input\": 5, \"voice\": \"tone-low\"}", 400, "input", "string"),
    (b"{\"input\": \"Hi.\", \"voice\": [1]}", 400, "voice", "string"),
    (b"{\"input\": \"Hi.\", \"voice\": \"tone-low\", \"speed\": \"1\"}", 400, "speed", "number"),
    (b"{\"input\": \"Hi.\", \"voice\": \"tone-low\", \"speed\": 0.1}", 400, "speed", "0.25"),
    (b"{\"input\": \"Hi.\", \"voice\": \"tone-low\", \"stream_format\": \"x\"}", 400,
     "stream_format", "sse"),
    (b"{\"input\": \"Hi.\", \"voice\": \"tone-low\", \"response_format\": \"aac\"}", 400,
     "response_format", "pcm, wav, flac, mp3, opus"),
    (b"{\"input\": \"Hi.\"}", 400, "voice", "required"),
    (b"{\"voice\": \"tone-low\"}", 400, "input", "required"),
    (b"{\"input\": \"Hi.\", \"voice\": \"nobody\"}", 404, "voice", "tone-low"),
    (b"{\"input\": \"Hi\\u0000.\", \"voice\": \"tone-low\"}", 400, "input", "NUL"),
    (b"{\"input\": \"Hi.\", \"input\": \"Ho.\", \"voice\": \"tone-low\"}", 400, None, "duplicate"),
    (b"{\"input\": \"\xff\xfe\", \"voice\": \"tone-low\"}", 400, None, "JSON"),
]


@pytest.mark.parametrize("body,status,param,words", BAD_JSON)
def test_bad_json_gets_openai_errors(make_server, body, status, param, words):
    s = start(make_server, *TONE)
    got, _, reply = speech(s, body)
    assert got == status, reply
    err = error_of(reply)
    assert err["param"] == param and words in err["message"], err
    assert err["type"] == "invalid_request_error"


def test_unknown_fields_are_ignored_and_voice_objects_work(make_server):
    s = start(make_server, *TONE)
    got, headers, body = speech(s, {"input": "Hi.", "voice": {"id": "tone-high"}, "model": "tts-1",
                                    "response_format": "pcm", "future_field": {"x": 1}})
    assert got == 200 and headers["x-sample-rate"] == "24000"
    assert abs(len(body) / 2 - 24000 * 0.23) < 48  # the tone, resampled to OpenAI's pcm rate


def test_speed_reaches_the_engine_from_both_routes(make_server):
    """The tone engine's length is 1/speed of the normal one: the speed field
    of a form and of /v1/audio/speech is applied, not only range-checked."""
    s = start(make_server, *TONE)
    for speed in ("2", "0.5"):
        got, _, body = infer(s, "sft", {"tts_text": "Hi.", "spk_id": "tone-low", "speed": speed})
        assert got == 200 and len(body) == 2 * int(22050 * 0.23 / float(speed)), (speed, len(body))
    for speed in (0.5, 4.0):
        got, _, body = speech(s, {"input": "Hi.", "voice": "tone-low", "response_format": "pcm",
                                  "speed": speed})
        assert got == 200 and abs(len(body) / 2 - 24000 * 0.23 / speed) < 48, (speed, len(body))


def test_routes_and_methods(make_server):
    s = start(make_server, *TONE)
    assert request(s, "GET", "/nope")[0] == 404
    assert request(s, "GET", "/v1/audio/speech")[0] == 405
    assert request(s, "DELETE", "/inference_sft")[0] == 405
    status, headers, body = request(s, "GET", "/v1/models")
    assert status == 200 and "tts-1" in [m["id"] for m in json.loads(body)["data"]]
    voices = json.loads(request(s, "GET", "/v1/audio/voices")[2])
    assert voices["voices"] == ["tone-low", "tone-high"]  # no English speakers: no aliases
    assert request(s, "GET", "/health")[0] == 200
    status, headers, body = request(s, "GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")


def test_engine_failure_after_audio_breaks_the_stream(make_server):
    s = start(make_server, *TONE)
    fields = {"tts_text": "One. Two. Three.", "spk_id": "tone-low", "instruct_text": "fail"}
    body, ctype = multipart(fields)
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
    conn.request("POST", "/inference_instruct", body=body, headers={"Content-Type": ctype})
    resp = conn.getresponse()
    assert resp.status == 200
    with pytest.raises(http.client.IncompleteRead):
        resp.read()  # no final chunk: the client can tell the audio is cut
    s.wait_log("outcome=INTERNAL")
    got, _, reply = speech(s, {"input": "One. Two.", "voice": "tone-low",
                               "instructions": "fail", "stream_format": "sse",
                               "response_format": "pcm"})
    events = [json.loads(line[6:]) for line in reply.decode().splitlines()
              if line.startswith("data: ")]
    assert [e["type"] for e in events] == ["speech.audio.delta", "error"]
    assert infer(s, "sft", {"tts_text": "Still here.", "spk_id": "tone-low"})[0] == 200


def test_drain_finishes_streams_and_refuses_new_calls(make_server):
    s = start(make_server, *TONE, "--grace", "30")
    sock = slow_stream(s, sentences=15)
    s.proc.send_signal(15)
    s.wait_log("signal received")
    got, headers, body = speech(s, {"input": "Hi.", "voice": "tone-low"})
    assert got == 503 and headers["retry-after"] == "1"
    assert error_of(body)["code"] == "shutting_down"
    assert request(s, "GET", "/health")[0] == 503
    data = bytearray()
    while (b := sock.recv(65536)):
        data += b
    sock.close()
    assert data.endswith(b"0\r\n\r\n")  # the stream in flight ran to its end
    assert s.proc.wait(timeout=60) == 0
    assert "outcome=OK" in s.logs()


def test_busy_http_port_stops_the_server(make_server):
    s = start(make_server, *TONE)
    from conftest import SERVER
    p = subprocess.run([SERVER, "--host", "127.0.0.1", "--port", str(free_port()), "--engine",
                        "tone", "--http-port", str(s.http_port)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    assert f"127.0.0.1:{s.http_port}" in p.stderr


def test_slow_reader_pauses_its_synthesis(make_server):
    """A client that stops reading: the bounded queue fills, the worker
    waits, nothing grows; once it reads again the audio is all there."""
    mport = free_port()
    s = start(make_server, *TONE, "--metrics-port", str(mport), "--chunk-queue", "2")
    text = " ".join(["A long sentence that makes a long tone."] * 60)
    body, ctype = multipart({"tts_text": text, "spk_id": "tone-low"})
    # A fixed 64 KB receive buffer (set before connecting, so the kernel
    # does not grow it): far less than the 2.6 MB of audio.
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", s.http_port))
    sock.sendall(f"POST /inference_sft HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    read_some(sock, 1000)
    assert metric(scrape(mport), "cosyvoice_calls_running") == 1
    data = bytearray()
    while not data.endswith(b"0\r\n\r\n"):
        b = sock.recv(1 << 20)
        assert b
        data += b
    sock.close()
    log = s.wait_log("outcome=OK")
    assert "chunks=60 " in log


from test_tls import certs  # noqa: E402,F401  (the certificate fixture, made with openssl)


def test_https_with_the_grpc_certificates(make_server, certs):  # noqa: F811
    import http.client
    import ssl
    s = start(make_server, *TONE, "--tls-cert", certs["server_crt"], "--tls-key",
              certs["server_key"], "--tls-client-ca", certs["ca_crt"])
    ctx = ssl.create_default_context(cafile=certs["ca_crt"])

    def call(context):
        conn = http.client.HTTPSConnection("127.0.0.1", s.http_port, context=context,
                                           timeout=30)
        conn.request("POST", "/v1/audio/speech",
                     body=json.dumps({"input": "Hi.", "voice": "tone-low",
                                      "response_format": "pcm"}),
                     headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        return r.status, body

    status, body = call(ctx)  # no client certificate
    assert status == 403 and error_of(body)["code"] == "client_certificate_required"
    other = ssl.create_default_context(cafile=certs["ca_crt"])
    other.load_cert_chain(certs["other_crt"], certs["other_key"])  # signed by another CA
    try:
        status, body = call(other)
        assert status == 403
    except (ssl.SSLError, ConnectionError):
        pass  # or refused in the handshake
    ctx.load_cert_chain(certs["client_crt"], certs["client_key"])
    status, body = call(ctx)
    assert status == 200 and len(body) > 10000
    with pytest.raises(Exception):
        request(s, "GET", "/health")  # plain HTTP on the HTTPS port gets no answer
