"""The default engine end to end: the C client and an independent Python
client (stubs generated from the project's .proto) call a real server in all
four modes; the audio is checked for format, content and streaming."""
import os
import subprocess
import wave

import numpy as np
import pytest

from conftest import CLIENT, ROOT, collect, cosyvoice_pb2, sft, stub

PROMPTS = os.path.join(ROOT, "tests", "data", "prompts")
ZERO_SHOT_WAV = os.path.join(PROMPTS, "zero_shot_prompt.wav")
CROSS_WAV = os.path.join(PROMPTS, "cross_lingual_prompt.wav")
ZERO_SHOT_TEXT = "希望你以后能够做的比我还好呦。"
MULTI = "今天天气很好。我们去公园散步吧！你觉得怎么样？"


@pytest.fixture(scope="module")
def server():
    from conftest import Server

    s = Server()
    yield s
    assert s.stop() == 0


def prompt_pcm16k(path):
    """Reads a WAV and resamples to 16 kHz s16 with sox (independent of the
    project's own loader)."""
    out = subprocess.run(["sox", path, "-t", "raw", "-r", "16000", "-e", "signed", "-b", "16",
                          "-c", "1", "-"], check=True, capture_output=True).stdout
    return out


def run_client(server, tmp_path, *args):
    out = tmp_path / "out.wav"
    p = subprocess.run([CLIENT, "--host", "127.0.0.1", "--port", str(server.port),
                        "--tts_wav", str(out), *args], capture_output=True, text=True, timeout=120)
    return p, out


def read_wav(path):
    with wave.open(str(path)) as w:
        assert w.getframerate() == 22050
        assert w.getnchannels() == 1
        assert w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def summary_chunks(stderr):
    return int(stderr.split("chunks=")[1].split()[0])


@pytest.mark.parametrize("args", [
    ["--mode", "sft", "--spk_id", "中文女", "--tts_text", MULTI],
    ["--mode", "zero_shot", "--prompt_wav", ZERO_SHOT_WAV, "--prompt_text", ZERO_SHOT_TEXT,
     "--tts_text", MULTI],
    ["--mode", "cross_lingual", "--prompt_wav", CROSS_WAV,
     "--tts_text", "Hello there. This is cross lingual synthesis. It keeps the voice."],
    ["--mode", "instruct", "--spk_id", "中文男", "--instruct_text", "请用开心的语气说",
     "--tts_text", MULTI],
], ids=["sft", "zero_shot", "cross_lingual", "instruct"])
def test_c_client_all_modes(server, tmp_path, args):
    p, out = run_client(server, tmp_path, *args)
    assert p.returncode == 0, p.stderr
    pcm = read_wav(out)
    assert len(pcm) > 22050 * 1.0  # at least a second of speech for 3 sentences
    assert np.abs(pcm.astype(np.int32)).max() > 1000  # not silence
    assert summary_chunks(p.stderr) > 1


def test_c_client_bad_speaker_exit_code(server, tmp_path):
    p, out = run_client(server, tmp_path, "--mode", "sft", "--spk_id", "nobody",
                        "--tts_text", "hello")
    assert p.returncode == 3
    assert "中文女" in p.stderr  # the message names the valid speakers
    assert not out.exists()


def python_requests():
    zs = prompt_pcm16k(ZERO_SHOT_WAV)
    cl = prompt_pcm16k(CROSS_WAV)
    return {
        "sft": sft(MULTI, "英文女"),
        "zero_shot": cosyvoice_pb2.Request(zero_shot_request=cosyvoice_pb2.zeroshotRequest(
            tts_text=MULTI, prompt_text=ZERO_SHOT_TEXT, prompt_audio=zs)),
        "cross_lingual": cosyvoice_pb2.Request(
            cross_lingual_request=cosyvoice_pb2.crosslingualRequest(
                tts_text="<|en|>Good morning. How are you today? I am fine.", prompt_audio=cl)),
        "instruct": cosyvoice_pb2.Request(instruct_request=cosyvoice_pb2.instructRequest(
            tts_text=MULTI, spk_id="中文女", instruct_text="Speak slowly and softly.")),
    }


@pytest.mark.parametrize("mode", ["sft", "zero_shot", "cross_lingual", "instruct"])
def test_python_client_all_modes(server, mode):
    _, s = stub(server.target)
    chunks, first = collect(s, python_requests()[mode])
    assert len(chunks) > 1, "a multi-sentence text must arrive as several chunks"
    assert all(len(c) % 2 == 0 and len(c) > 0 for c in chunks)
    pcm = np.frombuffer(b"".join(chunks), dtype="<i2")
    assert len(pcm) > 22050
    assert np.abs(pcm.astype(np.int32)).max() > 1000


@pytest.mark.parametrize("spk,text", [
    ("中文女", "你好，欢迎使用语音合成服务。"),
    ("英文男", "Good evening, and welcome to the show."),
    ("日语男", "こんにちは、今日はいい天気ですね。"),
    ("粤语女", "你好，今日天气几好。"),
    ("韩语女", "안녕하세요, 만나서 반갑습니다."),
])
def test_every_language_speaks(server, spk, text):
    _, s = stub(server.target)
    chunks, _ = collect(s, sft(text, spk))
    pcm = np.frombuffer(b"".join(chunks), dtype="<i2")
    # At least ~0.5 s of audio and real signal energy.
    assert len(pcm) > 11025
    assert np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 300


def test_non_streaming_request_field(server):
    _, s = stub(server.target)
    req = sft(MULTI, "中文女", disable_streaming=True)
    chunks, _ = collect(s, req)
    streamed, _ = collect(s, sft(MULTI, "中文女"))
    # One chunk per text segment when streaming is off; never fewer chunks
    # when streaming within segments is on.
    assert 1 <= len(chunks) <= len(streamed)
    assert len(b"".join(chunks)) > 0
