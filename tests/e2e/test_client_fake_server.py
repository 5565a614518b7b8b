"""End-to-end tests of cosyvoice-client against a small fake CosyVoice server.

The fake server is written with grpcio from proto/cosyvoice.proto (stubs are
generated into a temporary directory at test time), so the client's wire
behaviour is checked independently of the C server. What the fake does is
chosen by the request's tts_text:
  "ok..."     streams three chunks at 24 kHz
  "rate0..."  streams two chunks without sample_rate (client must use 22050)
  "reject..." fails with INVALID_ARGUMENT before any audio
  "busy..."   fails with RESOURCE_EXHAUSTED before any audio
  "break..."  streams two chunks, then fails with UNAVAILABLE
  "flaky..."  fails with UNAVAILABLE on the first two attempts, then streams
  "slow..."   waits longer than the client's deadline before answering
"""
import concurrent.futures
import math
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave

import grpc
import pytest
from grpc_tools import protoc

SOURCE_DIR = os.environ.get("CV_SOURCE_DIR", os.getcwd())
BUILD_DIR = os.environ.get("CV_BUILD_DIR", os.path.join(os.getcwd(), "build"))
CLIENT = os.path.join(BUILD_DIR, "cosyvoice-client")


def chunk_pcm(index, n=2400):
    """Distinct, recognizable audio for chunk `index` (s16le bytes)."""
    return b"".join(struct.pack("<h", int(8000 * math.sin(0.01 * (i + 1) * (index + 1))))
                    for i in range(n))


@pytest.fixture(scope="module")
def pb():
    """Generates and imports the Python stubs of proto/cosyvoice.proto."""
    out = tempfile.mkdtemp(prefix="cv_stubs_")
    proto_dir = os.path.join(SOURCE_DIR, "proto")
    rc = protoc.main(["protoc", "-I" + proto_dir, "--python_out=" + out,
                      "--grpc_python_out=" + out, os.path.join(proto_dir, "cosyvoice.proto")])
    assert rc == 0
    sys.path.insert(0, out)
    import cosyvoice_pb2
    import cosyvoice_pb2_grpc
    return cosyvoice_pb2, cosyvoice_pb2_grpc


class FakeServer:
    def __init__(self, pb):
        self.pb2, self.pb2_grpc = pb
        self.lock = threading.Lock()
        self.attempts = {}   # tts_text -> number of calls
        self.requests = []   # (Request, metadata dict)
        self.sent = {}       # tts_text -> list of chunk bytes of the last call

    def Inference(self, request, context):
        kind = request.WhichOneof("RequestPayload")
        text = getattr(request, kind).tts_text if kind else ""
        with self.lock:
            self.attempts[text] = self.attempts.get(text, 0) + 1
            attempt = self.attempts[text]
            self.requests.append((request, dict(context.invocation_metadata())))
            self.sent[text] = []
        Response = self.pb2.Response

        def chunk(i, rate=24000):
            pcm = chunk_pcm(i)
            with self.lock:
                self.sent[text].append(pcm)
            return Response(tts_audio=pcm, sample_rate=rate, chunk_index=i)

        if text.startswith("reject"):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "unknown speaker 'nobody'")
        if text.startswith("busy"):
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "too many calls")
        if text.startswith("flaky") and attempt <= 2:
            context.abort(grpc.StatusCode.UNAVAILABLE, "warming up")
        if text.startswith("slow"):
            deadline = time.monotonic() + 10
            while context.is_active() and time.monotonic() < deadline:
                time.sleep(0.05)
            return
        if text.startswith("rate0"):
            yield chunk(0, rate=0)
            yield chunk(1, rate=0)
            return
        if text.startswith("break"):
            yield chunk(0)
            yield chunk(1)
            context.abort(grpc.StatusCode.UNAVAILABLE, "engine went away")
        for i in range(3):
            yield chunk(i)


def start_server(pb, fake, port=0):
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=4))
    handler = pb[1]
    handler.add_CosyVoiceServicer_to_server(fake, server)
    bound = server.add_insecure_port("127.0.0.1:%d" % port)
    server.start()
    return server, bound


@pytest.fixture(scope="module")
def server(pb):
    fake = FakeServer(pb)
    srv, port = start_server(pb, fake)
    yield fake, port
    srv.stop(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_client(args, timeout=25):
    assert os.access(CLIENT, os.X_OK), "build the client first: " + CLIENT
    return subprocess.run([CLIENT] + args, capture_output=True, text=True, timeout=timeout)


def read_wav(path):
    with wave.open(path, "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.readframes(w.getnframes())


def test_help_documents_options_and_exit_codes():
    r = run_client(["--help"])
    assert r.returncode == 0
    for opt in ["--host", "--port", "--mode", "--tts_text", "--spk_id", "--prompt_text",
                "--prompt_wav", "--instruct_text", "--tts_wav", "--timeout", "--retries",
                "--no-stream", "--speed", "--request-id", "--quiet", "--help"]:
        assert opt in r.stdout
    assert "Exit codes" in r.stdout


def test_streams_chunks_into_wav(server, tmp_path):
    fake, port = server
    out = str(tmp_path / "out.wav")
    r = run_client(["--port", str(port), "--tts_text", "ok one", "--spk_id", "英文女",
                    "--tts_wav", out, "--request-id", "req-42", "--speed", "1.5",
                    "--no-stream"])
    assert r.returncode == 0, r.stderr
    rate, ch, width, frames = read_wav(out)
    assert (rate, ch, width) == (24000, 1, 2)
    assert frames == b"".join(fake.sent["ok one"])
    assert fake.attempts["ok one"] == 1
    req, md = [(q, m) for q, m in fake.requests if q.sft_request.tts_text == "ok one"][0]
    assert req.WhichOneof("RequestPayload") == "sft_request"
    assert req.sft_request.spk_id == "英文女"
    assert req.disable_streaming is True
    assert abs(req.speed - 1.5) < 1e-6
    assert md.get("x-request-id") == "req-42"
    # one summary line with the figures
    summary = [l for l in r.stderr.splitlines() if "chunks=" in l]
    assert len(summary) == 1
    for key in ["first_chunk=", "chunks=3", "audio=0.30s", "total=", "rtf="]:
        assert key in summary[0]


def test_quiet_prints_nothing_on_success(server, tmp_path):
    fake, port = server
    out = str(tmp_path / "q.wav")
    r = run_client(["--port", str(port), "--tts-text", "ok quiet", "--tts-wav", out, "--quiet"])
    assert r.returncode == 0
    assert r.stderr == "" and r.stdout == ""
    assert read_wav(out)[3] == b"".join(fake.sent["ok quiet"])
    # a request id is generated when none is given
    md = [m for q, m in fake.requests if q.sft_request.tts_text == "ok quiet"][0]
    assert md.get("x-request-id")


def test_default_rate_when_server_omits_it(server, tmp_path):
    fake, port = server
    out = str(tmp_path / "r.wav")
    r = run_client(["--port", str(port), "--tts_text", "rate0", "--tts_wav", out])
    assert r.returncode == 0, r.stderr
    rate, _, _, frames = read_wav(out)
    assert rate == 22050
    assert frames == b"".join(fake.sent["rate0"])


def test_rejection_exit_3(server, tmp_path):
    fake, port = server
    out = str(tmp_path / "rej.wav")
    r = run_client(["--port", str(port), "--tts_text", "reject me", "--tts_wav", out])
    assert r.returncode == 3
    assert "server rejected the request (INVALID_ARGUMENT): unknown speaker 'nobody'" in r.stderr
    assert fake.attempts["reject me"] == 1  # not retried
    assert not os.path.exists(out)
    r = run_client(["--port", str(port), "--tts_text", "busy now", "--tts_wav", out])
    assert r.returncode == 3
    assert "RESOURCE_EXHAUSTED" in r.stderr
    assert fake.attempts["busy now"] == 1


def test_broken_stream_keeps_valid_partial_wav_exit_5(server, tmp_path):
    fake, port = server
    out = str(tmp_path / "part.wav")
    r = run_client(["--port", str(port), "--tts_text", "break it", "--tts_wav", out])
    assert r.returncode == 5, r.stderr
    assert "UNAVAILABLE" in r.stderr and "engine went away" in r.stderr
    # UNAVAILABLE after audio started: never retried
    assert fake.attempts["break it"] == 1
    rate, _, _, frames = read_wav(out)
    assert rate == 24000
    assert len(fake.sent["break it"]) == 2
    assert frames == b"".join(fake.sent["break it"])


def test_retries_unavailable_before_first_chunk(server, tmp_path):
    fake, port = server
    out = str(tmp_path / "flaky.wav")
    r = run_client(["--port", str(port), "--tts_text", "flaky one", "--tts_wav", out])
    assert r.returncode == 0, r.stderr
    assert fake.attempts["flaky one"] == 3
    assert r.stderr.count("retrying in") == 2
    assert read_wav(out)[3] == b"".join(fake.sent["flaky one"])
    # with fewer retries than failures the client gives up: transport failure
    r = run_client(["--port", str(port), "--tts_text", "flaky two", "--tts_wav", out,
                    "--retries", "1"])
    assert r.returncode == 4
    assert fake.attempts["flaky two"] == 2


def test_connection_refused_exit_4():
    port = free_port()
    r = run_client(["--port", str(port), "--tts_text", "ok", "--retries", "2",
                    "--tts_wav", "/tmp/never-written.wav"])
    assert r.returncode == 4
    assert "UNAVAILABLE" in r.stderr
    assert r.stderr.count("retrying in") == 2


def test_retry_reaches_server_that_starts_late(pb, tmp_path):
    port = free_port()
    out = str(tmp_path / "late.wav")
    proc = subprocess.Popen([CLIENT, "--port", str(port), "--tts_text", "ok late",
                             "--tts_wav", out, "--retries", "6"],
                            stderr=subprocess.PIPE, text=True)
    # Start the server only once the client has failed a first attempt.
    first = proc.stderr.readline()
    assert "retrying in" in first, first
    fake = FakeServer(pb)
    srv, bound = start_server(pb, fake, port)
    try:
        assert bound == port
        _, err = proc.communicate(timeout=25)
        assert proc.returncode == 0, err
        assert fake.attempts["ok late"] == 1
        assert read_wav(out)[3] == b"".join(fake.sent["ok late"])
    finally:
        srv.stop(0)


def test_deadline_exit_4(server, tmp_path):
    fake, port = server
    r = run_client(["--port", str(port), "--tts_text", "slow one", "--timeout", "0.5",
                    "--tts_wav", str(tmp_path / "slow.wav")])
    assert r.returncode == 4
    assert "DEADLINE_EXCEEDED" in r.stderr
    assert fake.attempts["slow one"] == 1


def write_prompt(path, rate=44100, channels=2, seconds=1.0):
    n = int(rate * seconds)
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frame = []
        for i in range(n):
            v = int(10000 * math.sin(2 * math.pi * 440 * i / rate))
            frame.append(struct.pack("<" + "h" * channels, *([v] * channels)))
        w.writeframes(b"".join(frame))


def test_zero_shot_sends_16k_mono_prompt(server, tmp_path):
    fake, port = server
    prompt = str(tmp_path / "prompt.wav")
    write_prompt(prompt)
    out = str(tmp_path / "zs.wav")
    r = run_client(["--port", str(port), "--mode", "zero_shot", "--tts_text", "ok zero shot",
                    "--prompt_text", "the prompt says this", "--prompt_wav", prompt,
                    "--tts_wav", out])
    assert r.returncode == 0, r.stderr
    req = [q for q, m in fake.requests if q.zero_shot_request.tts_text == "ok zero shot"][0]
    assert req.zero_shot_request.prompt_text == "the prompt says this"
    audio = req.zero_shot_request.prompt_audio
    assert abs(len(audio) - 32000) <= 8  # 1 s at 16 kHz, 2 bytes per sample
    samples = struct.unpack("<%dh" % (len(audio) // 2), audio)
    # still a 440 Hz tone: about 880 sign changes per second
    crossings = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    assert 860 <= crossings <= 900
    assert 9000 <= max(samples) <= 10500


def test_cross_lingual_and_instruct_payloads(server, tmp_path):
    fake, port = server
    prompt = str(tmp_path / "p.wav")
    write_prompt(prompt, rate=16000, channels=1, seconds=0.5)
    r = run_client(["--port", str(port), "--mode", "cross_lingual", "--tts_text", "ok cl",
                    "--prompt-wav", prompt, "--tts_wav", str(tmp_path / "cl.wav")])
    assert r.returncode == 0, r.stderr
    req = [q for q, m in fake.requests if q.cross_lingual_request.tts_text == "ok cl"][0]
    assert len(req.cross_lingual_request.prompt_audio) == 16000
    r = run_client(["--port", str(port), "--mode", "instruct", "--tts_text", "ok in",
                    "--instruct_text", "speak softly", "--spk_id", "中文男",
                    "--tts_wav", str(tmp_path / "in.wav")])
    assert r.returncode == 0, r.stderr
    req = [q for q, m in fake.requests if q.instruct_request.tts_text == "ok in"][0]
    assert req.instruct_request.instruct_text == "speak softly"
    assert req.instruct_request.spk_id == "中文男"


def test_bad_arguments_exit_2(server, tmp_path):
    fake, port = server
    n = len(fake.requests)
    r = run_client(["--port", str(port), "--mode", "zero_shot", "--prompt_text", "x",
                    "--prompt_wav", str(tmp_path / "missing.wav")])
    assert r.returncode == 2
    assert "missing.wav" in r.stderr
    notaudio = tmp_path / "notaudio.wav"
    notaudio.write_text("not audio")
    r = run_client(["--port", str(port), "--mode", "cross_lingual", "--prompt_wav",
                    str(notaudio)])
    assert r.returncode == 2
    r = run_client(["--port", "notaport"])
    assert r.returncode == 2 and "--port" in r.stderr
    r = run_client(["--mode", "zero_shot", "--prompt_text", "x"])
    assert r.returncode == 2 and "--prompt_wav" in r.stderr
    r = run_client(["--port", str(port), "--tts_wav", "/nonexistent-dir/out.wav"])
    assert r.returncode == 2
    r = run_client(["--port", str(port), "--tts_wav", str(tmp_path)])
    assert r.returncode == 2 and "directory" in r.stderr
    assert len(fake.requests) == n  # nothing was sent
