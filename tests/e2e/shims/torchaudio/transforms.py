"""torchaudio.transforms for the stand-in (see __init__.py): no resampling."""


class Resample:
    def __init__(self, orig_freq, new_freq):
        raise NotImplementedError(
            f"the torchaudio stand-in does not resample ({orig_freq} -> {new_freq} Hz): "
            "give the prompt wav at the rate asked for, or run with CV_REAL_TORCH=1")
