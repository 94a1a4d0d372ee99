"""Read a PyTorch state dict (``torch.save`` of name -> tensor) into numpy arrays, without torch.

A weights file is untrusted input: ``torch.load`` unpickles it, and a pickle may call any
importable function (``os.system`` included). Here the pickle goes through a restricted unpickler
(the "restricting globals" recipe of Python's ``pickle`` documentation) that admits only what a
file of tensors needs: ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` and the
``torch.*Storage`` types, each replaced by our own harmless stand-in. Any other global stops the
read before anything is called. Tensors become numpy arrays viewed from their storage's bytes,
with every offset, shape and stride checked to lie inside the storage.

Both of torch's formats are read (``torch/serialization.py``):

- zip (torch >= 1.6): ``<archive>/data.pkl`` is the pickle; storage ``key`` is the raw member
  ``<archive>/data/<key>``.
- legacy (torch < 1.6): pickles of the magic number, the protocol version, system information and
  the state dict follow each other, then a pickled list of storage keys, then per key an int64
  element count and the storage's raw bytes, in that order.
"""

from __future__ import annotations

import collections
import io
import math
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pvdefects.errors import UserError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class CheckpointError(UserError):
    """The file is not a plain file of tensors (refused global, bad layout, truncated)."""


@dataclass(frozen=True, slots=True)
class _StorageType:
    dtype: type


@dataclass(frozen=True, slots=True)
class _StorageRef:
    key: str
    dtype: type
    numel: int


@dataclass(frozen=True, slots=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


def _rebuild_tensor(storage, offset, shape, strides, *_requires_grad_hooks_metadata) -> _TensorRef:
    """Stands in for ``torch._utils._rebuild_tensor_v2``: remembers where the tensor lies."""
    if not isinstance(storage, _StorageRef):
        raise CheckpointError("a tensor is not built on a storage")
    return _TensorRef(storage, offset, tuple(shape), tuple(strides))


class _TensorUnpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, name: str):
        super().__init__(file)
        self.name = name

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageType(STORAGE_DTYPES[name])
        raise CheckpointError(
            f"{self.name}: refused to unpickle {module}.{name}: a weights file may hold only tensors"
        )

    def persistent_load(self, pid):
        # zip: ('storage', type, key, location, numel); legacy adds view metadata (None)
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise CheckpointError(f"{self.name}: unknown persistent id in the pickle")
        storage_type, key, _location, numel = pid[1:5]
        if len(pid) == 6 and pid[5] is not None:
            raise CheckpointError(f"{self.name}: storage views are not supported")
        if not (isinstance(storage_type, _StorageType) and isinstance(key, str) and type(numel) is int):
            raise CheckpointError(f"{self.name}: malformed storage reference")
        return _StorageRef(key, storage_type.dtype, numel)


def _unpickle(data: BinaryIO, name: str):
    try:
        return _TensorUnpickler(data, name).load()
    except CheckpointError:
        raise
    except Exception as error:  # any malformed pickle: EOF, bad opcode, wrong argument types
        raise CheckpointError(f"{name}: not a readable PyTorch weights file ({error})") from error


def _tensor(ref: _TensorRef, storages: dict[str, np.ndarray], name: str) -> np.ndarray:
    """``ref`` as its own array, after checking that every element it spans lies in its storage and
    that it holds no more elements than the storage (a state dict's tensors are not broadcast)."""
    storage = storages.get(ref.storage.key)
    shape, strides, offset = ref.shape, ref.strides, ref.offset
    well_formed = (
        storage is not None
        and len(shape) == len(strides)
        and all(type(v) is int and v >= 0 for v in (offset, *shape, *strides))
    )
    if not well_formed:
        raise CheckpointError(f"{name}: malformed tensor (storage, shape or strides)")
    if 0 in shape:
        return np.zeros(shape, storage.dtype)
    last = offset + sum((size - 1) * stride for size, stride in zip(shape, strides))
    if last >= storage.size:
        raise CheckpointError(f"{name}: a tensor reaches past the end of its storage")
    if math.prod(shape) > storage.size:  # zero strides could otherwise ask for any amount of memory
        raise CheckpointError(f"{name}: a tensor has more elements than its storage")
    itemsize = storage.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=shape, strides=[s * itemsize for s in strides], writeable=False
    )
    return np.array(view)


def _storage(raw: bytes, ref: _StorageRef, name: str) -> np.ndarray:
    expected = ref.numel * np.dtype(ref.dtype).itemsize
    if len(raw) != expected:
        raise CheckpointError(f"{name}: storage {ref.key} is truncated ({len(raw)} of {expected} bytes)")
    return np.frombuffer(raw, dtype=np.dtype(ref.dtype).newbyteorder("<"))


def _storages_of(tree) -> dict[str, _StorageRef]:
    return {value.storage.key: value.storage for value in tree.values() if isinstance(value, _TensorRef)}


def _read_zip(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise CheckpointError(f"{path.name}: a zip without one <archive>/data.pkl")
        root = pickles[0].split("/")[0]
        tree = _unpickle(io.BytesIO(archive.read(pickles[0])), path.name)
        if not isinstance(tree, dict):
            raise CheckpointError(f"{path.name}: holds no state dict (name -> tensor)")
        storages = {}
        for key, ref in _storages_of(tree).items():
            try:
                member = archive.getinfo(f"{root}/data/{key}")
            except KeyError:
                raise CheckpointError(f"{path.name}: storage {key} is missing") from None
            if member.file_size != ref.numel * np.dtype(ref.dtype).itemsize:  # before inflating anything
                raise CheckpointError(f"{path.name}: storage {key} does not have the size of its tensor")
            storages[key] = _storage(archive.read(member), ref, path.name)
    return tree, storages


def _read_legacy(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    with open(path, "rb") as file:
        magic, protocol, sys_info = (_unpickle(file, path.name) for _ in range(3))
        if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL:
            raise CheckpointError(f"{path.name}: not a PyTorch weights file")
        if not (isinstance(sys_info, dict) and sys_info.get("little_endian") is True):
            raise CheckpointError(f"{path.name}: only little-endian weights files are supported")
        tree = _unpickle(file, path.name)
        if not isinstance(tree, dict):
            raise CheckpointError(f"{path.name}: holds no state dict (name -> tensor)")
        keys = _unpickle(file, path.name)
        refs = _storages_of(tree)
        if not (isinstance(keys, list) and set(keys) >= set(refs)):
            raise CheckpointError(f"{path.name}: the storage list does not match the tensors")
        storages = {}
        for key in keys:
            if key not in refs:
                raise CheckpointError(f"{path.name}: storage {key} belongs to no tensor")
            header = file.read(8)
            if len(header) != 8 or struct.unpack("<q", header)[0] != refs[key].numel:
                raise CheckpointError(f"{path.name}: storage {key} has a bad size header")
            ref = refs[key]
            storages[key] = _storage(file.read(ref.numel * np.dtype(ref.dtype).itemsize), ref, path.name)
    return tree, storages


def read_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The tensors of the PyTorch state dict saved at ``path``, by name, as numpy arrays (their
    PyTorch shapes, e.g. OIHW convolution kernels). Entries that are not tensors are left out.

    Raises :class:`CheckpointError` (a :class:`~pvdefects.errors.UserError`, one line) for a file
    that is missing, not a weights file, truncated, or whose pickle names anything beyond tensors.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weights file")
    try:
        tree, storages = (_read_zip if zipfile.is_zipfile(path) else _read_legacy)(path)
    except (OSError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path.name}: cannot read the weights file ({error})") from error
    return {
        name: _tensor(value, storages, path.name)
        for name, value in tree.items()
        if isinstance(name, str) and isinstance(value, _TensorRef)
    }
