"""Helpers for the HTTP door's end-to-end tests: a server with --http-port,
plain HTTP requests (http.client: what a client sends is visible here), and
the tone engine's requests."""
import http.client
import json
import os
import socket
import wave

from conftest import ROOT, free_port

TONE = ("--engine", "tone")
PROMPT_WAV = os.path.join(ROOT, "tests", "data", "prompts", "zero_shot_prompt.wav")


def start(make_server, *args):
    port = free_port()
    s = make_server("--http-port", str(port), *args)
    s.http_port = port
    s.base = f"http://127.0.0.1:{port}"
    return s


def request(server, method, path, body=None, headers=None, timeout=60):
    """(status, headers dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def speech(server, payload, headers=None, timeout=60):
    h = {"Content-Type": "application/json", **(headers or {})}
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return request(server, "POST", "/v1/audio/speech", body, h, timeout)


def multipart(fields, files=()):
    """(body, content type) of a multipart/form-data form."""
    boundary = "cvBoundary7MA4YWxkTrZu0gW"
    parts = []
    for k, v in fields.items():
        v = v.encode() if isinstance(v, str) else v
        parts.append(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                     % (boundary.encode(), k.encode(), v))
    for k, name, data in files:
        parts.append(b"--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                     b"Content-Type: application/octet-stream\r\n\r\n%s\r\n"
                     % (boundary.encode(), k.encode(), name.encode(), data))
    body = b"".join(parts) + b"--%s--\r\n" % boundary.encode()
    return body, f"multipart/form-data; boundary={boundary}"


def infer(server, mode, fields, files=(), method="POST", headers=None, timeout=60):
    body, ctype = multipart(fields, files)
    return request(server, method, f"/inference_{mode}", body,
                   {"Content-Type": ctype, **(headers or {})}, timeout)


def error_of(body):
    """The OpenAI-style error object of a reply."""
    doc = json.loads(body)
    err = doc["error"]
    assert set(err) >= {"message", "type", "code"}, doc
    assert err["message"], doc
    return err


def wav_pcm(path):
    with wave.open(path, "rb") as w:
        return w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())


def open_stream(server, method, path, body, headers):
    """A raw socket that has sent one request; for tests that read slowly
    or hang up mid-stream."""
    sock = socket.create_connection(("127.0.0.1", server.http_port), timeout=30)
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode() + body)
    return sock
