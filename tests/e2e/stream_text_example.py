"""Example: speak text while it is still being written, with grpcio.

StreamInference takes a setup message (mode and settings, as Inference's
Request), then the text in pieces of any size (bytes: a UTF-8 character may
be split across pieces); the client's half-close ends the text. Audio
chunks come back as soon as each segment is ready.

    /usr/bin/python3 tests/e2e/stream_text_example.py 127.0.0.1:50000 < text

The e2e tests (test_stream_inference.py) import pieces() and stream()."""
import sys

import cosyvoice_pb2


def pieces(setup, chunks):
    """The request stream: setup first, then each chunk (bytes or str)."""
    yield cosyvoice_pb2.StreamRequest(setup=setup)
    for c in chunks:
        yield cosyvoice_pb2.StreamRequest(text=c.encode() if isinstance(c, str) else c)


def stream(stub, setup, chunks, timeout=60):
    """Audio bytes of every chunk the server sends, in order."""
    return [r.tts_audio for r in stub.StreamInference(pieces(setup, chunks), timeout=timeout)]


def main():
    import grpc
    import cosyvoice_pb2_grpc

    target = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:50000"
    stub = cosyvoice_pb2_grpc.CosyVoiceStub(grpc.insecure_channel(target))
    setup = cosyvoice_pb2.Request(sft_request=cosyvoice_pb2.sftRequest(spk_id="英文女"))
    lines = iter(sys.stdin.buffer.readline, b"")
    for audio in stream(stub, setup, lines):
        sys.stdout.buffer.write(audio)


if __name__ == "__main__":
    main()
