"""The systemd service: the installed unit passes `systemd-analyze verify`,
its exposure score is the one docs/operations.md quotes, the server works
inside the unit's syscall filter, W^X and address-family restrictions
(reproduced with seccomp by unit_sandbox.py, systemd itself cannot run
here), and it speaks the Type=notify protocol: READY=1 only once it serves,
STOPPING=1 when the drain starts."""
import http.client
import json
import os
import re
import socket
import subprocess

import pytest

from conftest import BUILD, ROOT, SERVER, collect, cosyvoice_pb2, free_port, health_pb2, sft, stub
from unit_sandbox import command as sandboxed

MODEL = os.path.join(ROOT, "tests", "data", "golden", "cosyvoice-v1-tiny")
FRONTEND = os.path.join(ROOT, "tests", "data", "golden", "frontend-tiny")
PROMPT_WAV = os.path.join(ROOT, "tests", "data", "prompts", "zero_shot_prompt.wav")
UNIT_NAME = "cosyvoice-server.service"


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """An installation into a prefix of its own (no DESTDIR), so the unit's
    paths are real ones systemd-analyze can check."""
    p = str(tmp_path_factory.mktemp("prefix"))
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", p], capture_output=True,
                       text=True, env={**os.environ, "DESTDIR": ""}, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return p


def unit_path(prefix):
    return os.path.join(prefix, "lib", "systemd", "system", UNIT_NAME)


def test_unit_verifies(prefix):
    r = subprocess.run(["systemd-analyze", "verify", unit_path(prefix)], capture_output=True,
                       text=True, env={**os.environ, "MANPATH": os.path.join(prefix, "share", "man")},
                       timeout=120)
    assert r.returncode == 0 and not r.stderr.strip(), r.stdout + r.stderr


def test_exposure_score_is_the_documented_one(prefix):
    r = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                        unit_path(prefix)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    score = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout).group(1)
    assert float(score) <= 2.0, r.stdout          # systemd calls < 2 "OK"
    doc = open(os.path.join(ROOT, "docs", "operations.md")).read()
    quoted = re.search(r"overall exposure level (\d+\.\d)", doc)
    assert quoted and quoted.group(1) == score, \
        f"docs/operations.md should quote the exposure level {score}"


def test_sandbox_is_enforced(prefix, tmp_path):
    """The reproduction is not a no-op: a packet socket and setuid are
    refused inside it, and W+X memory too where the unit says so."""
    probe = ("import mmap, os, socket\n"
             "def refused(f):\n"
             "    try: f()\n"
             "    except OSError: return True\n"
             "    return False\n"
             "print(refused(lambda: mmap.mmap(-1, 4096, prot=7)),\n"
             "      refused(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW)),\n"
             "      refused(lambda: os.setuid(0)), refused(lambda: socket.socket().close()))\n")
    r = subprocess.run(sandboxed(unit_path(prefix), ["/usr/bin/python3", "-c", probe]),
                       capture_output=True, text=True, timeout=60)
    # W+X memory is allowed: the unit turns MemoryDenyWriteExecute off for
    # oneDNN's JIT (below)
    assert r.stdout.split() == ["False", "True", "True", "False"], r.stdout + r.stderr
    r = subprocess.run(sandboxed(wx_denied_unit(prefix, tmp_path), ["/usr/bin/python3", "-c", probe]),
                       capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["True", "True", "True", "False"], r.stdout + r.stderr


def wx_denied_unit(prefix, tmp_path):
    """The installed unit with MemoryDenyWriteExecute=yes, as a drop-in
    would set it for a server with the default engine only."""
    text = open(unit_path(prefix)).read()
    assert "MemoryDenyWriteExecute=no" in text
    p = tmp_path / UNIT_NAME
    p.write_text(text.replace("MemoryDenyWriteExecute=no", "MemoryDenyWriteExecute=yes"))
    return str(p)


def test_neural_engine_refuses_to_start_without_executable_memory(prefix, tmp_path):
    """oneDNN generates its kernels at run time: denied that, the neural
    engine says so and the server exits, instead of failing mid-call."""
    r = subprocess.run(sandboxed(wx_denied_unit(prefix, tmp_path),
                                 [SERVER, "--engine", "cosyvoice", "--model-dir", MODEL,
                                  "--host", "127.0.0.1", "--port", "0"]),
                       capture_output=True, text=True, timeout=60, env=SANDBOX_ENV)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "oneDNN cannot make its kernels" in r.stderr and "MemoryDenyWriteExecute" in r.stderr


def prompt_pcm16k():
    return subprocess.run(["sox", PROMPT_WAV, "-t", "raw", "-r", "16000", "-e", "signed", "-b",
                           "16", "-c", "1", "-"], check=True, capture_output=True).stdout


# LeakSanitizer (ASan builds) stops the world with ptrace, which the unit
# forbids; leaks are checked by every other test.
SANDBOX_ENV = {**os.environ, "ASAN_OPTIONS": "detect_leaks=0"}


def test_default_engine_inside_the_sandbox(make_server, prefix):
    http_port = free_port()
    srv = make_server("--metrics-port", str(free_port()), "--http-port", str(http_port),
                      env=SANDBOX_ENV, command=sandboxed(unit_path(prefix), [SERVER]))
    _, s = stub(srv.target)
    for spk, text in (("中文女", "你好，世界。"), ("英文男", "Hello there."),
                      ("日语男", "日本語です。"), ("韩语女", "안녕하세요.")):
        chunks, _ = collect(s, sft(text, spk))
        assert sum(len(c) for c in chunks) > 22050, spk
    # the HTTP door (libmicrohttpd's poll loop, the encoders) under the same filter
    for fmt, magic in (("mp3", b"\xff"), ("opus", b"OggS"), ("flac", b"fLaC")):
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
        conn.request("POST", "/v1/audio/speech", body=json.dumps(
            {"input": "Hello there.", "voice": "英文女", "response_format": fmt}),
            headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        assert resp.status == 200 and body.startswith(magic) and len(body) > 1000, (fmt, body[:200])


def test_neural_engine_inside_the_sandbox(make_server, prefix, tmp_path):
    """oneDNN, FFTW, the worker pool and the ONNX interpreter (prompt
    front end) under the syscall filter."""
    model = tmp_path / "model"
    model.mkdir()
    for f in ("cosyvoice.yaml", "llm.pt", "flow.pt", "hift.pt", "spk2info.pt",
              "multilingual.tiktoken"):
        os.symlink(os.path.join(MODEL, f), model / f)
    for f in ("campplus.onnx", "speech_tokenizer_v1.onnx"):
        os.symlink(os.path.join(FRONTEND, f), model / f)
    srv = make_server("--engine", "cosyvoice", "--model-dir", str(model), "--threads", "2",
                      "--engine-opt", "seed=3", "--engine-opt", "fixed_tokens=150",
                      env=SANDBOX_ENV, command=sandboxed(unit_path(prefix), [SERVER]))
    _, s = stub(srv.target)
    chunks, _ = collect(s, sft("Hello there.", "英文女"))
    assert len(chunks) >= 1 and sum(len(c) for c in chunks) > 0
    zs = cosyvoice_pb2.Request(zero_shot_request=cosyvoice_pb2.zeroshotRequest(
        tts_text="Hello there.", prompt_text="希望你以后能够做的比我还好呦。",
        prompt_audio=prompt_pcm16k()))
    chunks, _ = collect(s, zs)
    assert sum(len(c) for c in chunks) > 0


class NotifySocket:
    """The service manager's end of sd_notify: a datagram socket whose path
    goes in NOTIFY_SOCKET."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(60)

    def next(self):
        msg = self.sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in msg.splitlines() if "=" in line)


def test_notify_ready_then_stopping(make_server, tmp_path):
    ns = NotifySocket(str(tmp_path / "notify"))
    srv = make_server("--engine", "tone", env={**os.environ, "NOTIFY_SOCKET": ns.path})
    ready = ns.next()
    assert ready.get("READY") == "1", ready
    assert f"port {srv.port}" in ready["STATUS"]
    # READY means serving: the engine is loaded and calls are answered now
    assert "engine tone loaded" in srv.logs()
    ch, s = stub(srv.target)
    chunks, _ = collect(s, sft("One.", "tone-low"))
    assert chunks
    from health_pb2_grpc import HealthStub
    assert HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10).status == \
        health_pb2.HealthCheckResponse.SERVING

    srv.proc.send_signal(15)
    stopping = ns.next()
    assert stopping.get("STOPPING") == "1", stopping
    assert "draining" in stopping["STATUS"]
    assert srv.proc.wait(timeout=30) == 0


def test_notify_status_names_the_http_port(make_server, tmp_path):
    ns = NotifySocket(str(tmp_path / "notify"))
    http_port = free_port()
    make_server("--engine", "tone", "--http-port", str(http_port),
                env={**os.environ, "NOTIFY_SOCKET": ns.path})
    ready = ns.next()
    assert ready.get("READY") == "1", ready
    assert f"HTTP on port {http_port}" in ready["STATUS"], ready


def test_no_notify_socket_no_message(make_server):
    """Outside systemd nothing is sent and nothing is logged about it."""
    env = {k: v for k, v in os.environ.items() if k != "NOTIFY_SOCKET"}
    srv = make_server("--engine", "tone", env=env)
    srv.stop()
    assert "notify" not in srv.logs()
