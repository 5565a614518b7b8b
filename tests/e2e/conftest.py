"""Shared fixtures for end-to-end tests: the built programs, Python stubs
generated at test time from the project's own .proto files (an independent
client, as existing CosyVoice users have), and servers on free ports."""
import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = os.environ.get("CV_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("CV_BUILD_DIR", os.path.join(ROOT, "build"))
SERVER = os.path.join(BUILD, "cosyvoice-server")
CLIENT = os.path.join(BUILD, "cosyvoice-client")
SAMPLE_RATE = 22050


def _generate_stubs():
    from grpc_tools import protoc

    out = tempfile.mkdtemp(prefix="cv_stubs_")
    proto_dir = os.path.join(ROOT, "proto")
    for name in ("cosyvoice.proto", "health.proto"):
        rc = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out}",
                          f"--grpc_python_out={out}", os.path.join(proto_dir, name)])
        assert rc == 0, f"protoc failed for {name}"
    sys.path.insert(0, out)
    return out


_generate_stubs()
import cosyvoice_pb2  # noqa: E402
import cosyvoice_pb2_grpc  # noqa: E402
import health_pb2  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A cosyvoice-server process on a free loopback port."""

    def __init__(self, *args, env=None, command=(SERVER,), cwd=None, preexec_fn=None):
        """command: the server program, or a wrapper's command line ending in it;
        preexec_fn: run in the child before it starts (resource limits)."""
        self.port = free_port()
        self.args = [*command, "--host", "127.0.0.1", "--port", str(self.port), *args]
        self.log_path = tempfile.mktemp(prefix="cv_server_", suffix=".log")
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, env=env, cwd=cwd, preexec_fn=preexec_fn)
        line = self.proc.stdout.readline()
        if "ready" not in line:
            self.proc.kill()
            raise RuntimeError(f"server did not start: {line!r}\n{self.logs()}")
        self.target = f"127.0.0.1:{self.port}"

    def logs(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, text, timeout=20):
        """The log once it holds `text`. The server writes a call's summary
        line as the call closes, which can be after the client has seen the
        end of the stream, so tests wait for it rather than read at once."""
        deadline = time.monotonic() + timeout
        while text not in (log := self.logs()):
            assert time.monotonic() < deadline, f"{text!r} not in server log:\n{log}"
            time.sleep(0.02)
        return log

    def stop(self, sig=15, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode


@pytest.fixture
def make_server():
    servers = []

    def start(*args, **kw):
        s = Server(*args, **kw)
        servers.append(s)
        return s

    yield start
    # Open client connections would hold up the server's shutdown (gRPC
    # waits for them to go away), so close the test's channels first.
    while _channels:
        _channels.pop().close()
    # Every server must shut down cleanly on SIGTERM (exit 0); under a
    # sanitizer build this is also when leaks are reported.
    problems = []
    for s in servers:
        if s.proc.poll() is None:
            rc = s.stop()
        else:
            rc = s.proc.returncode
        logs = s.logs()
        if rc != 0:
            problems.append(f"server exited with {rc}")
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if marker in logs:
                problems.append(f"{marker} in server log:\n{logs[-4000:]}")
    assert not problems, "\n".join(problems)


_channels = []


def stub(target):
    import grpc

    ch = grpc.insecure_channel(target)
    _channels.append(ch)
    return ch, cosyvoice_pb2_grpc.CosyVoiceStub(ch)


def sft(text, spk="中文女", **kw):
    return cosyvoice_pb2.Request(sft_request=cosyvoice_pb2.sftRequest(spk_id=spk, tts_text=text), **kw)


def collect(stub_, req, timeout=120, metadata=None):
    """Returns (list of chunk bytes, seconds to first chunk)."""
    t0 = time.monotonic()
    first = None
    chunks = []
    for resp in stub_.Inference(req, timeout=timeout, metadata=metadata):
        if first is None:
            first = time.monotonic() - t0
        chunks.append(resp.tts_audio)
    return chunks, first
