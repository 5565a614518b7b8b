"""Stand-in for the few torch calls the reference clients make (see ../README.md):
the FastAPI and gRPC clients wrap received int16 samples in a tensor
(from_numpy(...).unsqueeze); the gRPC client's load_wav (the reference's
cosyvoice/utils/file_utils.py, vendored unchanged) averages the channels of
the prompt (mean(dim=0, keepdim=True)) and takes .numpy()."""
import numpy as np


class Tensor:
    def __init__(self, array):
        self.array = np.asarray(array)

    def unsqueeze(self, dim):
        return Tensor(np.expand_dims(self.array, dim))

    def mean(self, dim, keepdim=False):
        # float32 stays float32, as in torch
        return Tensor(self.array.mean(axis=dim, keepdims=keepdim, dtype=self.array.dtype))

    def numpy(self):
        return self.array


def from_numpy(array):
    return Tensor(array)
