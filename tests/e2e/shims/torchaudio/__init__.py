"""Stand-in for torchaudio.save as the reference FastAPI client uses it:
int16 samples of shape (channels, frames) saved as 16-bit PCM WAV."""
import wave

import numpy as np


def save(path, tensor, sample_rate):
    data = np.asarray(tensor.numpy() if hasattr(tensor, "numpy") else tensor)
    assert data.dtype == np.int16, f"stand-in saves int16 only, got {data.dtype}"
    channels = data.shape[0]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(np.ascontiguousarray(data.T).astype("<i2").tobytes())
