"""Scaling out: three server replicas behind nginx as a gRPC load balancer,
configured with the repository's deploy/nginx/cosyvoice-lb.conf (only the
listen address and the replica ports are substituted). Calls are spread
over the replicas, and when one replica stops the others take over."""
import os
import re
import shutil
import socket
import subprocess
import time
import wave

import grpc
import pytest

import conftest
from conftest import CLIENT, ROOT, cosyvoice_pb2_grpc, free_port, sft

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
LB_CONF = os.path.join(ROOT, "deploy", "nginx", "cosyvoice-lb.conf")
TONE = ("--engine", "tone", "--grace", "2")


def lb_config(listen_port, backend_ports):
    """The repository's file with our loopback ports put in."""
    with open(LB_CONF) as f:
        text = f.read()
    up = re.search(r"upstream cosyvoice_backends \{.*?\n\}", text, re.S)
    assert up, "no upstream cosyvoice_backends block"
    block = up.group(0)
    servers = re.findall(r"^\s*server\s+\S+(.*);$", block, re.M)
    assert servers, "no server lines in the upstream block"
    params = servers[0]  # keep max_fails etc. as written
    lines = "".join(f"    server 127.0.0.1:{p}{params};\n" for p in backend_ports)
    block = re.sub(r"(^\s*server\s+\S+.*;\n)+", lambda _: lines, block, count=1, flags=re.M)
    text = text.replace(up.group(0), block)
    text, n = re.subn(r"^(\s*)listen\s+\S+\s+http2;", rf"\1listen 127.0.0.1:{listen_port} http2;",
                      text, flags=re.M)
    assert n == 1, "expected one 'listen ... http2;' line"
    return text


class Nginx:
    def __init__(self, workdir, backend_ports):
        self.dir = workdir
        os.chmod(workdir, 0o755)  # workers run unprivileged
        self.port = free_port()
        with open(os.path.join(workdir, "cosyvoice-lb.conf"), "w") as f:
            f.write(lb_config(self.port, backend_ports))
        temp = "".join(f"    {k}_temp_path {workdir}/{k};\n"
                       for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(os.path.join(workdir, "nginx.conf"), "w") as f:
            f.write(f"worker_processes 1;\nevents {{ worker_connections 256; }}\n"
                    f"http {{\n    access_log {workdir}/access.log;\n{temp}"
                    f"    include {workdir}/cosyvoice-lb.conf;\n}}\n")
        self.error_log = os.path.join(workdir, "error.log")
        cmd = [NGINX, "-p", workdir, "-c", os.path.join(workdir, "nginx.conf"),
               "-e", self.error_log,
               "-g", f"daemon off; pid {workdir}/nginx.pid; error_log {self.error_log} info;"]
        test = subprocess.run(cmd + ["-t"], capture_output=True, text=True)
        assert test.returncode == 0, f"nginx -t failed:\n{test.stderr}"
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        end = time.monotonic() + 20
        while True:
            assert self.proc.poll() is None, f"nginx exited:\n{self.proc.stderr.read()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < end, "nginx did not start listening"
                time.sleep(0.05)
        self.target = f"127.0.0.1:{self.port}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def cluster(make_server, tmp_path):
    """Three replicas and nginx in front (stopped before the replicas)."""
    replicas = [make_server(*TONE) for _ in range(3)]
    lb = Nginx(str(tmp_path), [r.port for r in replicas])
    yield lb, replicas
    while conftest._channels:
        conftest._channels.pop().close()
    lb.stop()


def served_ids(replica):
    return set(re.findall(r"\[(lb-[0-9a-z-]+)\] call mode=sft", replica.logs()))


def call_through(lb, ids):
    ch = grpc.insecure_channel(lb.target)
    conftest._channels.append(ch)
    s = cosyvoice_pb2_grpc.CosyVoiceStub(ch)
    for rid in ids:
        call = s.Inference(sft("Hello. World.", "tone-low"), timeout=30,
                           metadata=[("x-request-id", rid)])
        samples = sum(len(r.tts_audio) // 2 for r in call)
        assert samples == int(22050 * 0.26) + int(22050 * 0.26), rid
        md = dict(call.initial_metadata())
        assert md.get("x-request-id") == rid  # the replica's echo came through nginx


def wait_logged(replicas, ids, timeout=20):
    """The replica logs a call just after its status went out: poll."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if set().union(*(served_ids(r) for r in replicas)) >= set(ids):
            return
        time.sleep(0.05)


def test_calls_spread_over_replicas_and_survive_one_stopping(cluster, tmp_path):
    lb, replicas = cluster
    first = [f"lb-a{i}" for i in range(12)]
    call_through(lb, first)
    wait_logged(replicas, first)
    per_replica = [served_ids(r) & set(first) for r in replicas]
    assert all(per_replica), f"some replica served nothing: {[len(x) for x in per_replica]}"
    # each call was served exactly once
    assert sum(len(x) for x in per_replica) == len(first)
    assert set().union(*per_replica) == set(first)

    # The C client through the balancer.
    out = tmp_path / "lb.wav"
    p = subprocess.run([CLIENT, "--host", "127.0.0.1", "--port", str(lb.port), "--spk_id",
                        "tone-high", "--tts_text", "Through nginx.", "--tts_wav", str(out),
                        "--request-id", "lb-c-client"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    with wave.open(str(out)) as w:
        assert w.getnframes() == int(22050 * (0.2 + 0.14))

    # One replica goes away (graceful stop); new calls still succeed.
    gone = replicas[0]
    assert gone.stop() == 0
    second = [f"lb-b{i}" for i in range(9)]
    call_through(lb, second)
    wait_logged(replicas[1:], second)
    assert not (served_ids(gone) & set(second))
    survivors = [served_ids(r) & set(second) for r in replicas[1:]]
    assert set().union(*survivors) == set(second)
    assert all(survivors), "the balancer did not keep using both remaining replicas"
    # ...because nginx found the stopped replica refusing and moved on
    with open(lb.error_log) as f:
        log = f.read()
    assert f"upstream: \"grpc://127.0.0.1:{gone.port}\"" in log
    assert "Connection refused" in log


def test_request_id_is_made_up_when_missing(cluster):
    lb, replicas = cluster
    ch = grpc.insecure_channel(lb.target)
    conftest._channels.append(ch)
    s = cosyvoice_pb2_grpc.CosyVoiceStub(ch)
    call = s.Inference(sft("No id.", "tone-low"), timeout=30)
    assert sum(1 for _ in call) == 1
    rid = dict(call.initial_metadata()).get("x-request-id")
    # nginx's $request_id: 32 hex digits, logged by the replica that served it
    assert rid and re.fullmatch(r"[0-9a-f]{32}", rid), rid
    end = time.monotonic() + 20
    while not any(f"[{rid}] call" in r.logs() for r in replicas):
        assert time.monotonic() < end, "no replica logged the nginx request id"
        time.sleep(0.05)
