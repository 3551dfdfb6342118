"""Decoders of the on-disk layouts the catalog's datasets come in.

Each turns a copy into numpy arrays (uint8 images [N, C, H, W], int64 labels)
and checks nothing beyond the format itself: what the arrays must hold is the
dataset's declaration, checked by ``ddlaws.data.datasets.verify``. Archive
checksums are never compared, as they differ between mirrors and repackagers;
our own readers stand in for torchvision's where it would compare them.
"""

from __future__ import annotations

import gzip
import pickle
import tarfile
from pathlib import Path

import numpy as np


class DatasetInvalid(RuntimeError):
    """A copy was found but its decoded content is not the dataset it claims to be."""


def read_idx(path: Path) -> np.ndarray:
    """Decode one IDX file (optionally gzip-compressed) into a numpy array."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetInvalid(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DatasetInvalid(f"{path}: header says {shape} but holds {data.size} bytes")
    return data.reshape(shape)


IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find_idx(root: Path, stem: str) -> Path | None:
    for folder in (root, root / "raw", *root.glob("*/raw")):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def idx_arrays(root: Path) -> dict:
    """The four IDX files of MNIST's layout, in ``root``, ``root/raw`` or torchvision's ``root/*/raw``."""
    arrays = {}
    for key, stem in IDX_FILES.items():
        found = _find_idx(root, stem)
        if found is None:
            raise FileNotFoundError(f"{stem}[.gz] not found under {root}")
        arrays[key] = read_idx(found)
    return {
        "train_images": arrays["train_images"][:, None],
        "train_labels": arrays["train_labels"].astype(np.int64),
        "test_images": arrays["test_images"][:, None],
        "test_labels": arrays["test_labels"].astype(np.int64),
    }


def unpacked(root: Path, folder: str, archive: str, scratch: Path) -> Path:
    """``root/folder``, or ``scratch/folder`` unpacked from ``root/archive`` where only the archive is there."""
    if (root / folder).is_dir() or not (root / archive).is_file():
        return root / folder
    scratch.mkdir(parents=True, exist_ok=True)
    if not (scratch / folder).is_dir():
        with tarfile.open(root / archive) as tar:
            tar.extractall(scratch, filter="data")
    return scratch / folder


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    with path.open("rb") as handle:
        return pickle.load(handle, encoding="latin1")


def cifar_arrays(folder: Path, batches: dict[str, list[str]], label_key: str, meta: str, names_key: str) -> dict:
    """CIFAR's python layout: pickled batches of ``data`` [N, 3072] and labels, and a meta file of class names."""
    out = {}
    for split, files in batches.items():
        parts = [_unpickle(folder / name) for name in files]
        images = np.concatenate([np.asarray(p["data"], dtype=np.uint8) for p in parts])
        out[f"{split}_images"] = images.reshape(-1, 3, 32, 32)
        out[f"{split}_labels"] = np.concatenate([np.asarray(p[label_key], dtype=np.int64) for p in parts])
    out["classes"] = list(_unpickle(folder / meta)[names_key])
    return out


def svhn_arrays(root: Path) -> dict:
    """SVHN's cropped digits, as torchvision keeps them: ``train_32x32.mat`` and ``test_32x32.mat``,
    ``X`` [32, 32, 3, N] and ``y`` [N, 1] with the digit 0 labelled 10."""
    from scipy.io import loadmat

    out = {}
    for split in ("train", "test"):
        path = root / f"{split}_32x32.mat"
        if not path.is_file():
            raise FileNotFoundError(f"{path} not found")
        mat = loadmat(path)
        out[f"{split}_images"] = np.ascontiguousarray(np.transpose(mat["X"], (3, 2, 0, 1))).astype(np.uint8)
        out[f"{split}_labels"] = (mat["y"].reshape(-1).astype(np.int64) % 10)
    return out


def rgb_image(path: Path) -> np.ndarray:
    """One image file as uint8 [3, H, W] (a gray or palette image converted to RGB)."""
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).transpose(2, 0, 1)


def tiny_imagenet_arrays(root: Path) -> dict:
    """TinyImageNet's layout: ``wnids.txt``, ``train/<wnid>/images/*.JPEG``, and ``val/images/*.JPEG``
    labelled by ``val/val_annotations.txt`` (the public test split has no labels; val is the test)."""
    from ..runtime import progress

    folder = root / "tiny-imagenet-200" if (root / "tiny-imagenet-200").is_dir() else root
    wnids_file = folder / "wnids.txt"
    if not wnids_file.is_file():
        raise FileNotFoundError(f"{wnids_file} not found")
    wnids = wnids_file.read_text().split()
    index = {wnid: i for i, wnid in enumerate(wnids)}
    train = [(path, index[wnid]) for wnid in wnids
             for path in sorted((folder / "train" / wnid / "images").glob("*.JPEG"))]
    annotations = folder / "val" / "val_annotations.txt"
    if not annotations.is_file():
        raise FileNotFoundError(f"{annotations} not found")
    test = []
    for line in annotations.read_text().splitlines():
        name, wnid = line.split("\t")[:2]
        if wnid not in index:
            raise DatasetInvalid(f"{annotations}: {name} is labelled {wnid!r}, which is not in {wnids_file}")
        test.append((folder / "val" / "images" / name, index[wnid]))
    out = {}
    for split, items in (("train", train), ("test", test)):
        images = [rgb_image(path) for path, _ in progress(items, desc=f"tiny_imagenet {split}")]
        out[f"{split}_images"] = np.stack(images) if images else np.empty((0, 3, 64, 64), np.uint8)
        out[f"{split}_labels"] = np.asarray([label for _, label in items], dtype=np.int64)
    words = folder / "words.txt"
    if words.is_file():
        names = dict(line.split("\t", 1) for line in words.read_text().splitlines() if "\t" in line)
        out["classes"] = [names.get(wnid, wnid).split(",")[0].strip() for wnid in wnids]
    else:
        out["classes"] = wnids
    return out


def torchvision_download(dataset: str, root: Path, **kwargs) -> None:
    """Download a torchvision dataset (``dataset``: its class name) into ``root``, where our readers then decode it."""
    import torchvision.datasets as tvd

    getattr(tvd, dataset)(str(root), download=True, **kwargs)
