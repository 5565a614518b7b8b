"""Real-time playback in the C client (--play), without sound hardware:
ALSA is pointed (ALSA_CONFIG_PATH) at a configuration whose default PCM is
the "null" plugin, which accepts audio and discards it, or at one whose
default device does not exist."""
import os
import re
import subprocess
import wave

import pytest

from conftest import CLIENT

TONE = ("--engine", "tone")
TEXT = "One. Two two. Three three three."
# tone engine: one tone per sentence, 0.2 s + 10 ms per byte
SENTENCES = ("One.", "Two two.", "Three three three.")
EXPECTED_FRAMES = sum(int(22050 * (0.2 + 0.01 * len(s))) for s in SENTENCES)


def alsa_env(tmp_path, pcm):
    conf = tmp_path / "asound.conf"
    conf.write_text(f"pcm.!default {{ {pcm} }}\n")
    return dict(os.environ, ALSA_CONFIG_PATH=str(conf))


NULL_PCM = "type null"
MISSING_PCM = "type hw card 7 device 0"  # no such card


def play(srv, tmp_path, env, *extra, text=TEXT, mode=()):
    out = tmp_path / "played.wav"
    p = subprocess.run([CLIENT, "--host", "127.0.0.1", "--port", str(srv.port),
                        "--spk_id", "tone-low", "--tts_text", text, "--tts_wav", str(out),
                        "--play", *mode, *extra],
                       capture_output=True, text=True, timeout=60, env=env)
    return p, out


def summary(stderr):
    m = re.search(r"audio=([\d.]+)s .* played=([\d.]+)s underruns=(\d+)", stderr)
    assert m, f"no playback summary in: {stderr}"
    return float(m.group(1)), float(m.group(2)), int(m.group(3))


def frames(path):
    with wave.open(str(path)) as w:
        assert w.getframerate() == 22050 and w.getnchannels() == 1
        return w.getnframes()


def test_plays_and_writes_the_file(make_server, tmp_path):
    srv = make_server(*TONE)
    p, out = play(srv, tmp_path, alsa_env(tmp_path, NULL_PCM))
    assert p.returncode == 0, p.stderr
    audio, played, underruns = summary(p.stderr)
    assert played == audio == pytest.approx(EXPECTED_FRAMES / 22050, abs=0.01)
    assert underruns >= 0
    assert frames(out) == EXPECTED_FRAMES
    assert "warning" not in p.stderr
    assert "ALSA lib" not in p.stderr  # the back ends' probing noise is kept out


def test_slow_stream_underruns_are_reported_not_fatal(make_server, tmp_path):
    """Synthesis slower than playback (300 ms per sentence, and the null
    device drains at once): the buffer runs dry between chunks."""
    srv = make_server(*TONE)
    p, out = play(srv, tmp_path, alsa_env(tmp_path, NULL_PCM), "--play-buffer", "50",
                  mode=("--mode", "instruct", "--instruct_text", "delay=300"))
    assert p.returncode == 0, p.stderr
    audio, played, underruns = summary(p.stderr)
    assert played == pytest.approx(audio, abs=0.01)
    assert underruns >= 1
    assert frames(out) == EXPECTED_FRAMES


def test_play_only(make_server, tmp_path):
    srv = make_server(*TONE)
    p, out = play(srv, tmp_path, alsa_env(tmp_path, NULL_PCM), "--no-wav")
    assert p.returncode == 0, p.stderr
    assert summary(p.stderr)[1] == pytest.approx(EXPECTED_FRAMES / 22050, abs=0.01)
    assert "wav=-" in p.stderr
    assert not out.exists()


def test_no_audio_device_still_writes_the_file(make_server, tmp_path):
    srv = make_server(*TONE)
    p, out = play(srv, tmp_path, alsa_env(tmp_path, MISSING_PCM))
    assert p.returncode == 0, p.stderr
    warnings = [l for l in p.stderr.splitlines() if "audio" in l and "warning" in l]
    assert len(warnings) == 1, p.stderr
    assert "no audio output device" in warnings[0] and str(out) in warnings[0]
    assert "played=" not in p.stderr
    assert frames(out) == EXPECTED_FRAMES


def test_no_audio_device_and_no_wav_is_an_error(make_server, tmp_path):
    srv = make_server(*TONE)
    p, _ = play(srv, tmp_path, alsa_env(tmp_path, MISSING_PCM), "--no-wav")
    assert p.returncode == 1
    assert "no audio output device" in p.stderr


@pytest.mark.parametrize("args,fragment", [
    (["--play", "--play-buffer", "-5"], "--play-buffer"),
    (["--play", "--play-buffer", "abc"], "--play-buffer"),
    (["--no-wav"], "--no-wav only makes sense with --play"),
])
def test_bad_playback_options(args, fragment):
    p = subprocess.run([CLIENT, *args], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert fragment in p.stderr
