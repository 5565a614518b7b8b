"""torch.save / torch.load(weights_only=True) for the files CosyVoice keeps
(spk2info.pt), written here without PyTorch, as an independent check of the
C writer and loader.

load() reads an archive the way torch.load(weights_only=True) does: the
pickle may name only what torch's restricted unpickler allows for these files
(collections.OrderedDict, torch._utils._rebuild_tensor_v2, the storage
classes); persistent ids must be ('storage', <class>, key, 'cpu', numel) with
<folder>/data/<key> holding exactly numel elements. Tensors come back as
numpy arrays (views rebuilt from storage, offset, size and stride); a tensor
the pickle holds twice is one Python object, as torch gives one tensor.

save() pickles like torch.save (protocol 2, persistent storages, the
_rebuild_tensor_v2 reduction) from Tensor objects that can be views of a
larger storage, as the reference's trimmed prompt_speech_feat is."""
import collections
import io
import pickle
import sys
import types
import zipfile

import numpy as np

STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):
    assert requires_grad is False and isinstance(hooks, collections.OrderedDict) and not hooks
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(s * item for s in stride))
    return np.array(view)


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, f, archive, prefix):
        super().__init__(f)
        self.archive, self.prefix, self.storages = archive, prefix, {}

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return ("storage class", name)
        raise pickle.UnpicklingError(f"weights_only would refuse global {module}.{name}")

    def persistent_load(self, pid):
        assert isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage", pid
        _, cls, key, location, numel = pid
        assert isinstance(cls, tuple) and cls[0] == "storage class", cls
        assert location == "cpu", location
        if key not in self.storages:
            raw = self.archive.read(f"{self.prefix}data/{key}")
            arr = np.frombuffer(raw, dtype=np.dtype(STORAGE_DTYPES[cls[1]]).newbyteorder("<"))
            assert arr.size == numel, (key, arr.size, numel)
            self.storages[key] = arr
        return self.storages[key]


def load(path):
    """The object a torch.load(path, weights_only=True) would return."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        pkls = [n for n in names if n.endswith("/data.pkl")]
        assert len(pkls) == 1, names
        prefix = pkls[0][: -len("data.pkl")]
        assert all(n.startswith(prefix) for n in names), names
        if f"{prefix}byteorder" in names:
            assert z.read(f"{prefix}byteorder") == b"little"
        for info in z.infolist():
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
        up = _RestrictedUnpickler(io.BytesIO(z.read(pkls[0])), z, prefix)
        return up.load()


class Tensor:
    """A tensor for save(): a view (offset, shape, stride in elements) of a
    flat numpy storage."""

    def __init__(self, storage, shape, stride=None, offset=0):
        self.storage, self.shape, self.offset = storage, tuple(shape), offset
        if stride is None:
            stride, n = [], 1
            for d in reversed(shape):
                stride.insert(0, n)
                n *= d
        self.stride = tuple(stride)


def save(obj, path, folder="archive"):
    """torch.save(obj, path) for dicts of Tensor (protocol 2)."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")
    classes = {}
    for name in STORAGE_DTYPES:
        cls = type(name, (), {"__module__": "torch"})
        setattr(torch, name, cls)
        classes[np.dtype(STORAGE_DTYPES[name])] = cls

    def rebuild(*args):
        raise AssertionError("never called")

    rebuild.__module__, rebuild.__qualname__, rebuild.__name__ = ("torch._utils",) + ("_rebuild_tensor_v2",) * 2
    utils._rebuild_tensor_v2 = rebuild
    torch._utils = utils
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    storages = {}

    class Storage:
        def __init__(self, arr):
            self.arr = arr

    wrapped = {}

    def storage_of(arr):
        if id(arr) not in wrapped:
            wrapped[id(arr)] = (Storage(arr), arr)
        return wrapped[id(arr)][0]

    def reduce_tensor(t):
        return (rebuild, (storage_of(t.storage), t.offset, t.shape, t.stride, False,
                          collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        dispatch_table = {Tensor: reduce_tensor}

        def persistent_id(self, o):
            if isinstance(o, Storage):
                key = storages.setdefault(id(o), (str(len(storages)), o))[0]
                return ("storage", classes[o.arr.dtype], key, "cpu", o.arr.size)
            return None

    try:
        buf = io.BytesIO()
        Pickler(buf, protocol=2).dump(obj)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{folder}/data.pkl", buf.getvalue())
        z.writestr(f"{folder}/byteorder", "little")
        for key, st in storages.values():
            z.writestr(f"{folder}/data/{key}", st.arr.astype(st.arr.dtype.newbyteorder("<")).tobytes())
        z.writestr(f"{folder}/version", "3\n")
