"""Reading PyTorch state dicts without torch: both file formats, and hostile or broken files refused.

The files are written here without torch: stand-ins named ``torch.FloatStorage`` and
``torch._utils._rebuild_tensor_v2`` pickle exactly as torch's own globals do.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np
import pytest

from pvdefects.errors import UserError
from pvdefects.models.torch_checkpoint import LEGACY_MAGIC, CheckpointError, read_state_dict


class Storage:
    """Stands for a torch storage while pickling: a persistent id, never pickled itself."""

    def __init__(self, key: str, array: np.ndarray):
        self.key, self.array = key, array


class Tensor:
    def __init__(self, storage: Storage, offset: int, shape: tuple, strides: tuple):
        self.args = (storage, offset, shape, strides, False, collections.OrderedDict())

    def __reduce__(self):
        return sys.modules["torch._utils"]._rebuild_tensor_v2, self.args


@pytest.fixture
def fake_torch(monkeypatch):
    """Modules ``torch`` and ``torch._utils`` holding the two globals a tensor file names."""
    torch, utils = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")

    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    float_storage = type("FloatStorage", (), {"__module__": "torch"})
    long_storage = type("LongStorage", (), {"__module__": "torch"})
    torch.FloatStorage, torch.LongStorage, utils._rebuild_tensor_v2 = (
        float_storage,
        long_storage,
        _rebuild_tensor_v2,
    )
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch


class TensorPickler(pickle.Pickler):
    def __init__(self, file, legacy: bool):
        super().__init__(file, protocol=2)
        self.legacy = legacy

    def persistent_id(self, obj):
        if not isinstance(obj, Storage):
            return None
        kind = (
            sys.modules["torch"].LongStorage
            if obj.array.dtype == np.int64
            else sys.modules["torch"].FloatStorage
        )
        pid = ("storage", kind, obj.key, "cpu", obj.array.size)
        return (*pid, None) if self.legacy else pid


def dumps(tree, legacy: bool) -> bytes:
    buffer = io.BytesIO()
    TensorPickler(buffer, legacy).dump(tree)
    return buffer.getvalue()


def write_zip(path, tree, storages: list[Storage]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", dumps(tree, legacy=False))
        for storage in storages:
            archive.writestr(f"archive/data/{storage.key}", storage.array.tobytes())
        archive.writestr("archive/version", "3\n")


def write_legacy(path, tree, storages: list[Storage]) -> None:
    sys_info = {
        "protocol_version": 1001,
        "little_endian": True,
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    with open(path, "wb") as file:
        for header in (LEGACY_MAGIC, 1001, sys_info):
            pickle.dump(header, file, protocol=2)
        file.write(dumps(tree, legacy=True))
        pickle.dump([s.key for s in storages], file, protocol=2)
        for storage in storages:
            file.write(struct.pack("<q", storage.array.size) + storage.array.tobytes())


def sample_state_dict():
    """A 2x3 matrix, its transpose as a strided view, a slice at an offset and an int64 scalar."""
    shared = Storage("0", np.arange(10, dtype=np.float32))
    count = Storage("1", np.array([7], dtype=np.int64))
    tree = collections.OrderedDict(
        matrix=Tensor(shared, 0, (2, 3), (3, 1)),
        transposed=Tensor(shared, 0, (3, 2), (1, 3)),
        tail=Tensor(shared, 6, (4,), (1,)),
        count=Tensor(count, 0, (), ()),
    )
    tree._metadata = collections.OrderedDict()  # torch's state dicts carry one (restored by BUILD)
    return tree, [shared, count]


@pytest.mark.parametrize("writer", [write_zip, write_legacy], ids=["zip", "legacy"])
def test_reads_tensors_of_both_formats(fake_torch, tmp_path, writer):
    path = tmp_path / "weights.pth"
    writer(path, *sample_state_dict())
    tensors = read_state_dict(path)
    matrix = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(tensors["matrix"], matrix)
    np.testing.assert_array_equal(tensors["transposed"], matrix.T)
    np.testing.assert_array_equal(tensors["tail"], [6, 7, 8, 9])
    assert tensors["count"].dtype == np.int64 and tensors["count"] == 7
    assert tensors["matrix"].dtype == np.float32 and tensors["matrix"].flags.owndata


class RunsShell:
    def __init__(self, command: str):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


@pytest.mark.parametrize("writer", [write_zip, write_legacy], ids=["zip", "legacy"])
def test_hostile_pickle_is_refused_before_running(fake_torch, tmp_path, writer):
    marker = tmp_path / "ran"
    tree = collections.OrderedDict(weight=RunsShell(f"touch {marker}"))
    path = tmp_path / "hostile.pth"
    writer(path, tree, [])
    with pytest.raises(CheckpointError, match=r"refused to unpickle (os|posix)\.system") as error:
        read_state_dict(path)
    assert not marker.exists()
    assert isinstance(error.value, UserError) and "\n" not in str(error.value)


def test_tensor_past_or_larger_than_its_storage_is_refused(fake_torch, tmp_path):
    storage = Storage("0", np.zeros(4, np.float32))
    write_zip(tmp_path / "w.pth", {"big": Tensor(storage, 2, (3,), (1,))}, [storage])
    with pytest.raises(CheckpointError, match="past the end of its storage"):
        read_state_dict(tmp_path / "w.pth")
    write_zip(tmp_path / "w.pth", {"huge": Tensor(storage, 0, (1 << 20, 1 << 20), (0, 0))}, [storage])
    with pytest.raises(CheckpointError, match="more elements than its storage"):
        read_state_dict(tmp_path / "w.pth")


def test_zip_storage_of_another_size_is_refused_unread(fake_torch, tmp_path):
    storage = Storage("0", np.zeros(4, np.float32))
    write_zip(
        tmp_path / "w.pth",
        {"w": Tensor(storage, 0, (4,), (1,))},
        [Storage("0", np.zeros(1 << 20, np.float32))],
    )
    with pytest.raises(CheckpointError, match="storage 0 does not have the size of its tensor"):
        read_state_dict(tmp_path / "w.pth")


def test_truncated_and_foreign_files_give_one_line(fake_torch, tmp_path):
    write_legacy(tmp_path / "w.pth", *sample_state_dict())
    data = (tmp_path / "w.pth").read_bytes()
    (tmp_path / "w.pth").write_bytes(data[:-5])
    with pytest.raises(CheckpointError, match="storage 1 is truncated"):
        read_state_dict(tmp_path / "w.pth")
    (tmp_path / "w.pth").write_bytes(b"not a pickle at all")
    with pytest.raises(CheckpointError, match="not a readable PyTorch weights file") as error:
        read_state_dict(tmp_path / "w.pth")
    assert "\n" not in str(error.value)
    with pytest.raises(CheckpointError, match="no such weights file"):
        read_state_dict(tmp_path / "absent.pth")
