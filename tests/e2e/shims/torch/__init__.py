"""Stand-in for the two torch calls the reference FastAPI client makes (see ../README.md)."""
import numpy as np


class Tensor:
    def __init__(self, array):
        self.array = np.asarray(array)

    def unsqueeze(self, dim):
        return Tensor(np.expand_dims(self.array, dim))

    def numpy(self):
        return self.array


def from_numpy(array):
    return Tensor(array)
