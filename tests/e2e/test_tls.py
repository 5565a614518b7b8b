"""TLS on the gRPC port: server certificate, mutual TLS, and the errors a
user sees when the two sides disagree. Certificates (a CA, a server
certificate for localhost/127.0.0.1, a client certificate) are made with
openssl at test time."""
import os
import subprocess
import wave

import grpc
import pytest

import conftest
from conftest import CLIENT, cosyvoice_pb2, cosyvoice_pb2_grpc, sft

TONE = ("--engine", "tone")


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.crt", "-days", "2", "-subj", "/CN=cosyvoice test CA", cwd=d)
    (d / "server.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, cn in (("server", "localhost"), ("client", "cosyvoice test client")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile",
                 f"{name}.ext", cwd=d)
    # A second, unrelated CA: its certificates must not be trusted.
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out",
             "other.crt", "-days", "2", "-subj", "/CN=someone else", cwd=d)
    return {p.stem + p.suffix.replace(".", "_"): str(p) for p in d.iterdir()}


def tls_server(make_server, certs, mutual=False):
    args = [*TONE, "--tls-cert", certs["server_crt"], "--tls-key", certs["server_key"]]
    if mutual:
        args += ["--tls-client-ca", certs["ca_crt"]]
    return make_server(*args)


def run_client(srv, tmp_path, *extra, host="127.0.0.1", text="Hello there. Bye."):
    out = tmp_path / "out.wav"
    p = subprocess.run([CLIENT, "--host", host, "--port", str(srv.port), "--spk_id", "tone-low",
                        "--tts_text", text, "--tts_wav", str(out), "--retries", "0",
                        "--timeout", "20", *extra],
                       capture_output=True, text=True, timeout=60)
    return p, out


def secure_stub(target, certs, with_client_cert=False):
    def read(k):
        with open(certs[k], "rb") as f:
            return f.read()
    creds = grpc.ssl_channel_credentials(
        root_certificates=read("ca_crt"),
        private_key=read("client_key") if with_client_cert else None,
        certificate_chain=read("client_crt") if with_client_cert else None)
    ch = grpc.secure_channel(target, creds)
    conftest._channels.append(ch)  # closed before the servers stop
    return cosyvoice_pb2_grpc.CosyVoiceStub(ch)


def wav_frames(path):
    with wave.open(str(path)) as w:
        return w.getnframes(), w.getframerate()


def test_c_client_over_tls(make_server, certs, tmp_path):
    srv = tls_server(make_server, certs)
    p, out = run_client(srv, tmp_path, "--tls-ca", certs["ca_crt"])
    assert p.returncode == 0, p.stderr
    frames, rate = wav_frames(out)
    # tone engine: one tone per sentence, "Hello there." and "Bye."
    assert rate == 22050
    assert frames == int(22050 * (0.2 + 0.12)) + int(22050 * (0.2 + 0.04))
    # verified by name as well as by address (the certificate carries both);
    # the name is given with --tls-server-name, while dialling the address
    p, _ = run_client(srv, tmp_path, "--tls-ca", certs["ca_crt"], "--tls-server-name",
                      "localhost")
    assert p.returncode == 0, p.stderr
    # a name the certificate does not carry is refused
    p, _ = run_client(srv, tmp_path, "--tls-ca", certs["ca_crt"], "--tls-server-name",
                      "tts.example.org")
    assert p.returncode == 4, p.stderr


def test_python_client_over_tls(make_server, certs):
    srv = tls_server(make_server, certs)
    s = secure_stub(f"localhost:{srv.port}", certs)
    chunks = [r.tts_audio for r in s.Inference(sft("One. Two.", "tone-high"), timeout=20)]
    assert len(chunks) == 2 and all(len(c) > 0 for c in chunks)


def test_untrusted_ca_is_refused(make_server, certs, tmp_path):
    srv = tls_server(make_server, certs)
    p, out = run_client(srv, tmp_path, "--tls-ca", certs["other_crt"])
    assert p.returncode == 4, p.stderr
    assert "--tls-ca" in p.stderr  # the hint says what to pass
    assert not out.exists()


def test_mutual_tls(make_server, certs, tmp_path):
    srv = tls_server(make_server, certs, mutual=True)
    ok, out = run_client(srv, tmp_path, "--tls-ca", certs["ca_crt"],
                         "--tls-cert", certs["client_crt"], "--tls-key", certs["client_key"])
    assert ok.returncode == 0, ok.stderr
    assert wav_frames(out)[0] > 0
    # Without a client certificate the handshake is refused.
    os.unlink(out)
    no_cert, out = run_client(srv, tmp_path, "--tls-ca", certs["ca_crt"])
    assert no_cert.returncode == 4, no_cert.stderr
    assert "client certificate" in no_cert.stderr
    assert not out.exists()
    # The Python client: with its certificate it works, without it fails.
    s = secure_stub(f"localhost:{srv.port}", certs, with_client_cert=True)
    assert len(list(s.Inference(sft("Yes.", "tone-low"), timeout=20))) == 1
    s = secure_stub(f"localhost:{srv.port}", certs, with_client_cert=False)
    with pytest.raises(grpc.RpcError) as e:
        list(s.Inference(sft("No.", "tone-low"), timeout=20))
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE


def test_plaintext_client_against_tls_server(make_server, certs, tmp_path):
    srv = tls_server(make_server, certs)
    p, out = run_client(srv, tmp_path)
    assert p.returncode == 4, p.stderr
    assert "--tls" in p.stderr, p.stderr
    assert not out.exists()
    # and the Python client on an insecure channel
    _, s = conftest.stub(srv.target)
    with pytest.raises(grpc.RpcError) as e:
        list(s.Inference(sft("No.", "tone-low"), timeout=20))
    assert e.value.code() == grpc.StatusCode.UNAVAILABLE


def test_tls_client_against_plaintext_server(make_server, certs, tmp_path):
    srv = make_server(*TONE)
    p, _ = run_client(srv, tmp_path, "--tls-ca", certs["ca_crt"])
    assert p.returncode == 4, p.stderr
    assert "does not speak TLS" in p.stderr, p.stderr


@pytest.mark.parametrize("which", ["--tls-cert", "--tls-key", "--tls-client-ca"])
def test_unreadable_certificate_file_stops_the_server(certs, tmp_path, which):
    files = {"--tls-cert": certs["server_crt"], "--tls-key": certs["server_key"],
             "--tls-client-ca": certs["ca_crt"]}
    missing = str(tmp_path / "missing.pem")
    files[which] = missing
    args = [conftest.SERVER, *TONE, "--host", "127.0.0.1", "--port", str(conftest.free_port())]
    for k, v in files.items():
        args += [k, v]
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert missing in p.stderr and which in p.stderr, p.stderr
    assert "ready" not in p.stdout


def test_certificate_file_that_is_not_pem(certs, tmp_path):
    bogus = tmp_path / "cert.der"
    subprocess.run(["openssl", "x509", "-in", certs["server_crt"], "-outform", "DER", "-out",
                    str(bogus)], check=True)
    p = subprocess.run([conftest.SERVER, *TONE, "--port", str(conftest.free_port()),
                        "--tls-cert", str(bogus), "--tls-key", certs["server_key"]],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert str(bogus) in p.stderr and "not PEM" in p.stderr


def test_client_with_missing_ca_file_is_a_usage_error(make_server, tmp_path):
    srv = make_server(*TONE)
    p, _ = run_client(srv, tmp_path, "--tls-ca", str(tmp_path / "nope.pem"))
    assert p.returncode == 2
    assert "nope.pem" in p.stderr


def test_expired_certificate_warned_at_start(make_server, certs, tmp_path):
    """gRPC serves an expired certificate silently and every client's
    handshake fails; the server says so when it starts."""
    d = os.path.dirname(certs["ca_crt"])
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "old.key"),
             "-out", str(tmp_path / "old.csr"), "-subj", "/CN=localhost", cwd=d)
    _openssl("x509", "-req", "-in", str(tmp_path / "old.csr"), "-CA", "ca.crt", "-CAkey",
             "ca.key", "-CAcreateserial", "-out", str(tmp_path / "old.crt"), "-days", "-1",
             "-extfile", "server.ext", cwd=d)
    srv = make_server(*TONE, "--tls-cert", str(tmp_path / "old.crt"), "--tls-key",
                      str(tmp_path / "old.key"))
    log = srv.wait_log("listening on")
    assert "WARN  --tls-cert" in log and "EXPIRED" in log
    # a current certificate gets its date, no warning of expiry
    ok = tls_server(make_server, certs)
    assert "EXPIRED" not in ok.wait_log("listening on")
