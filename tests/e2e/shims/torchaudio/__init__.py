"""Stand-in for the torchaudio calls of the reference clients (see ../README.md):
save (both clients: int16 samples of shape (channels, frames) saved as 16-bit
PCM WAV) and load (the gRPC client's load_wav: a 16-bit PCM WAV as float32
samples in [-1, 1) of shape (channels, frames), what torchaudio's soundfile
backend returns). Resampling is not imitated: transforms.Resample refuses, so
a test must give the prompt at 16 kHz (load_wav then does not resample)."""
import wave

import numpy as np

from . import transforms  # noqa: F401  (torchaudio.transforms.Resample)
from torch import Tensor


def save(path, tensor, sample_rate):
    data = np.asarray(tensor.numpy() if hasattr(tensor, "numpy") else tensor)
    assert data.dtype == np.int16, f"stand-in saves int16 only, got {data.dtype}"
    channels = data.shape[0]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(np.ascontiguousarray(data.T).astype("<i2").tobytes())


def load(path, backend=None):
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2, "stand-in loads 16-bit PCM WAV only"
        channels, rate = w.getnchannels(), w.getframerate()
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    samples = frames.reshape(-1, channels).T.astype(np.float32) / 32768.0
    return Tensor(samples), rate
