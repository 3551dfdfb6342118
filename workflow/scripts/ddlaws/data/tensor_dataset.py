"""A dataset of the config, ``kind: tensors``: one ``.npz``, ``.pt`` or ``.safetensors`` file.

The file holds ``train_images`` and ``test_images`` [N, C, H, W], in the
declared ``scale`` (``unit``: [0, 1]; ``byte``: [0, 255]), and
``train_labels`` and ``test_labels``, class indices below the declared
``classes``. :func:`describe` runs at parse time and reads only the file's
header, in pure Python (the arrays' shapes, for the job resources and the
checks); :func:`read` loads the arrays in the download job and names the file
wherever they are not what was declared.
"""

from __future__ import annotations

import ast
import json
import pickle
import struct
import zipfile
from pathlib import Path

from .registry import Dataset, fixed

KEYS = ("train_images", "train_labels", "test_images", "test_labels")
FORMATS = (".npz", ".pt", ".safetensors")


def _npy_shape(handle) -> tuple[int, ...]:
    """The shape in a .npy header (format versions 1 to 3)."""
    magic = handle.read(8)
    if magic[:6] != b"\x93NUMPY":
        raise ValueError("not a .npy array")
    size = struct.unpack("<H" if magic[6] == 1 else "<I", handle.read(2 if magic[6] == 1 else 4))[0]
    return tuple(ast.literal_eval(handle.read(size).decode("latin1"))["shape"])


class _TensorShape(tuple):
    """What a tensor of a torch pickle stands for here: its shape."""


class _Stub:
    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


class _ShapeUnpickler(pickle.Unpickler):
    """Reads a ``torch.save`` pickle without torch: each tensor becomes its shape, storages nothing."""

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda storage, offset, size, *rest: _TensorShape(size)
        if module == "collections" and name == "OrderedDict":
            return dict
        if module.split(".")[0] == "torch":
            return _Stub
        raise pickle.UnpicklingError(f"{module}.{name} is not read")

    def persistent_load(self, pid):
        return None


def array_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """The shape of every array of a tensors file, from its header alone."""
    if path.suffix == ".npz":
        with zipfile.ZipFile(path) as archive:
            shapes = {}
            for member in archive.namelist():
                with archive.open(member) as handle:
                    shapes[member.removesuffix(".npy")] = _npy_shape(handle)
            return shapes
    if path.suffix == ".safetensors":
        with path.open("rb") as handle:
            header = json.loads(handle.read(struct.unpack("<Q", handle.read(8))[0]))
        return {key: tuple(value["shape"]) for key, value in header.items() if key != "__metadata__"}
    with zipfile.ZipFile(path) as archive:
        pickled = next(member for member in archive.namelist() if member.endswith("data.pkl"))
        content = _ShapeUnpickler(archive.open(pickled)).load()
    return {key: tuple(value) for key, value in content.items() if isinstance(value, _TensorShape)}


def describe(name: str, block: dict) -> Dataset:
    """The registry record of the tensors dataset ``block`` declares, from its file's header."""
    path = Path(block["path"])
    try:
        shapes = array_shapes(path)
    except Exception:  # noqa: BLE001 - the download job reads the file and names what is wrong
        shapes = {}
    train, test = shapes.get("train_images", (0, 3, 32, 32)), shapes.get("test_images", (0,))
    shape = tuple(train[1:]) if len(train) == 4 else (3, 32, 32)
    declared = block["classes"]
    names = tuple(str(c) for c in declared) if isinstance(declared, list) else None
    return Dataset(name, read, len(declared) if names else int(declared), fixed(shape), fixed((train[0], test[0])),
                   f"a file {path} holding {', '.join(KEYS)}", source=f"tensors {path}", class_names=names)


def _load(path: Path) -> dict:
    """The file's arrays, as numpy."""
    import numpy as np

    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            return {key: np.array(archive[key]) for key in archive.files}
    if path.suffix == ".safetensors":
        from safetensors.numpy import load_file

        return load_file(str(path))
    import torch

    content = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(content, dict):
        raise TypeError(f"holds a {type(content).__name__}, not a dict of tensors")
    return {key: value.numpy() for key, value in content.items() if isinstance(value, torch.Tensor)}


def read(root, block: dict, scratch) -> dict:
    """The four arrays, images in [0, 1] (8-bit ones kept as they are), checked against the declared scale."""
    import numpy as np

    from .readers import DatasetInvalid

    path = Path(block["path"])
    try:
        arrays = _load(path)
    except Exception as err:
        raise DatasetInvalid(f"{path}: cannot be read as {path.suffix} ({type(err).__name__}: {err})") from err
    missing = [key for key in KEYS if key not in arrays]
    if missing:
        raise DatasetInvalid(f"{path}: no {', '.join(missing)} in it (it holds {sorted(arrays)}); expected "
                             f"{', '.join(KEYS)}")
    out = {key: arrays[key] for key in KEYS}
    for split in ("train", "test"):
        shape = out[f"{split}_images"].shape
        if len(shape) != 4:
            raise DatasetInvalid(f"{path}: {split}_images have shape {list(shape)}; expected [N, C, H, W] (N images "
                                 "of C channels, H x W pixels)")
    top = 1.0 if block["scale"] == "unit" else 255.0
    for split in ("train", "test"):
        labels = out[f"{split}_labels"]
        if np.issubdtype(labels.dtype, np.floating) and np.array_equal(labels, np.round(labels)):
            out[f"{split}_labels"] = labels.astype(np.int64)
        images = out[f"{split}_images"]
        if images.dtype == np.uint8 and block["scale"] == "byte":
            continue
        images = images.astype(np.float32)
        if not np.isfinite(images).all():
            raise DatasetInvalid(f"{path}: {split}_images contain NaN or inf")
        low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
        if low < 0 or high > top:
            raise DatasetInvalid(f"{path}: {split}_images span [{low:.3g}, {high:.3g}], outside the declared scale "
                                 f"{block['scale']!r} [0, {top:g}]")
        if block["scale"] == "byte" and 0 < high <= 1:
            raise DatasetInvalid(f"{path}: {split}_images span [{low:.3g}, {high:.3g}], which looks like scale "
                                 "'unit' [0, 1], not the declared 'byte' [0, 255]")
        out[f"{split}_images"] = images / top
    return out
