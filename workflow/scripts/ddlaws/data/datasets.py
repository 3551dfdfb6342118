"""Real image classification datasets, as one uint8 tensor file per dataset.

``digits`` (scikit-learn's bundled 8x8 handwritten digits) needs no network and
is the embedded default. The torchvision datasets download, or read a local copy
named in the config (compute nodes are usually offline). A local copy is checked
by its decoded content (shape, count, classes), never by archive checksums,
which differ between mirrors and repackagers.
"""

from __future__ import annotations

import gzip
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..plan.catalog import DATASETS

if TYPE_CHECKING:
    import torch


FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
IMAGENETTE_CLASSES = ["tench", "English springer", "cassette player", "chain saw", "church",
                      "French horn", "garbage truck", "gas pump", "golf ball", "parachute"]
# folder torchvision reads, archive it unpacks from
ARCHIVES = {
    "cifar10": ("cifar-10-batches-py", "cifar-10-python.tar.gz"),
    "cifar100": ("cifar-100-python", "cifar-100-python.tar.gz"),
    "imagenette": ("imagenette2-160", "imagenette2-160.tgz"),
}
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


class DatasetUnavailable(RuntimeError):
    """The dataset could be neither read from a local copy nor downloaded."""


class DatasetInvalid(RuntimeError):
    """A copy was found but its decoded content is not the dataset it claims to be."""


# ----------------------------------------------------------------------------- readers

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


def _find_idx(root: Path, stem: str) -> Path | None:
    for folder in (root, root / "raw", *root.glob("*/raw")):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def _mnist_like_local(root: Path) -> dict:
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


def _unpacked_root(name: str, root: Path, scratch: Path) -> Path:
    """A root where torchvision finds the extracted folder; unpack a bare archive into scratch."""
    import tarfile

    folder, archive = ARCHIVES[name]
    if (root / folder).is_dir() or not (root / archive).is_file():
        return root
    scratch.mkdir(parents=True, exist_ok=True)
    if not (scratch / folder).is_dir():
        with tarfile.open(root / archive) as tar:
            tar.extractall(scratch, filter="data")
    return scratch


def _torchvision_arrays(name: str, root: Path, download: bool, options: dict) -> dict:
    import torchvision.datasets as tvd

    if name in ("mnist", "fashion_mnist"):
        cls = tvd.MNIST if name == "mnist" else tvd.FashionMNIST
        out = {}
        for split, train in (("train", True), ("test", False)):
            ds = cls(str(root), train=train, download=download)
            out[f"{split}_images"] = ds.data.numpy()[:, None]
            out[f"{split}_labels"] = ds.targets.numpy().astype(np.int64)
        return out
    if name in ("cifar10", "cifar100"):
        cls = tvd.CIFAR10 if name == "cifar10" else tvd.CIFAR100
        out = {}
        for split, train in (("train", True), ("test", False)):
            ds = cls(str(root), train=train, download=download)
            out[f"{split}_images"] = np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2))
            out[f"{split}_labels"] = np.asarray(ds.targets, dtype=np.int64)
        out["classes"] = list(ds.classes)
        return out
    if name == "imagenette":
        return _imagenette_arrays(root, download, int(options["image_size"]))
    raise KeyError(name)


def _imagenette_arrays(root: Path, download: bool, size: int) -> dict:
    import torchvision.datasets as tvd
    import torchvision.transforms.v2.functional as TF

    from ..runtime import progress

    out = {}
    for split in ("train", "val"):
        # a second instance with download=True would re-check the archive; only fetch once
        ds = tvd.Imagenette(str(root), split=split, size="160px",
                            download=download and split == "train")
        images = np.empty((len(ds), 3, size, size), dtype=np.uint8)
        labels = np.empty(len(ds), dtype=np.int64)
        for i in progress(range(len(ds)), desc=f"imagenette {split}"):
            img, label = ds[i]
            img = TF.pil_to_tensor(img.convert("RGB"))
            img = TF.resize(img, [size], antialias=True)
            images[i] = TF.center_crop(img, [size, size]).numpy()
            labels[i] = label
        key = "train" if split == "train" else "test"
        out[f"{key}_images"], out[f"{key}_labels"] = images, labels
    return out


def _digits_arrays(options: dict) -> dict:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    # 17 grey levels (0..16) spread over the uint8 range
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[:, None]
    labels = bunch.target.astype(np.int64)
    tr_x, te_x, tr_y, te_y = train_test_split(
        images, labels, test_size=float(options["test_fraction"]),
        random_state=int(options["split_seed"]), stratify=labels)
    return {"train_images": tr_x, "train_labels": tr_y, "test_images": te_x, "test_labels": te_y}


# ----------------------------------------------------------------------------- checks

def verify(name: str, arrays: dict, options: dict) -> None:
    """Check the decoded content: shape, counts, label range and class coverage."""
    info = DATASETS[name]
    size = info.size or int(options.get("image_size", 0))
    for split, expected in (("train", info.train), ("test", info.test)):
        x, y = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (info.channels, size, size):
            raise DatasetInvalid(f"{name} {split}: images have shape {x.shape} and dtype {x.dtype}, "
                                 f"expected [N, {info.channels}, {size}, {size}] uint8")
        if len(y) != len(x):
            raise DatasetInvalid(f"{name} {split}: {len(x)} images but {len(y)} labels")
        if expected is not None and len(x) != expected:
            raise DatasetInvalid(f"{name} {split}: {len(x)} images, expected {expected}")
        if y.min() < 0 or y.max() >= info.classes:
            raise DatasetInvalid(f"{name} {split}: labels outside 0..{info.classes - 1}")
        missing = sorted(set(range(info.classes)) - set(np.unique(y).tolist()))
        if missing:
            raise DatasetInvalid(f"{name} {split}: classes {missing} have no image")


# ----------------------------------------------------------------------------- entry point

def class_names(name: str, arrays: dict) -> list[str]:
    if "classes" in arrays:
        return [str(c) for c in arrays["classes"]]
    if name == "fashion_mnist":
        return FASHION_CLASSES
    if name == "imagenette":
        return IMAGENETTE_CLASSES
    return [str(i) for i in range(DATASETS[name].classes)]


def obtain_arrays(name: str, options: dict) -> tuple[dict, str]:
    """Return the dataset's arrays and a description of where they came from.

    Order: embedded (digits), then the configured local copy, then a download.
    Fails within the download timeout, with a message that says what was tried.
    """
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    if name == "digits":
        return _digits_arrays(options), "scikit-learn load_digits"
    tried = []
    local = options.get("local")
    if local:
        root = Path(local)
        if not root.exists():
            tried.append(f"local copy {root}: does not exist")
        else:
            try:
                if name in ("mnist", "fashion_mnist"):
                    return _mnist_like_local(root), f"local copy {root}"
                unpacked = _unpacked_root(name, root, Path(options["download_dir"]))
                return _torchvision_arrays(name, unpacked, download=False, options=options), f"local copy {root}"
            except (FileNotFoundError, RuntimeError) as err:
                if isinstance(err, DatasetInvalid):
                    raise
                tried.append(f"local copy {root}: {err}")
    else:
        tried.append(f"local copy: none configured (config key data.local.{name})")
    if options.get("download", True):
        root = Path(options["download_dir"])
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(float(options["download_timeout"]))
        try:
            return _torchvision_arrays(name, root, download=True, options=options), f"torchvision download into {root}"
        except Exception as err:  # torchvision raises several types for network failures
            tried.append(f"torchvision download into {root}: {type(err).__name__}: {err}")
        finally:
            socket.setdefaulttimeout(previous)
    else:
        tried.append("download: disabled (data.download is false)")
    raise DatasetUnavailable(
        f"dataset {name!r} is not available.\nTried:\n  - " + "\n  - ".join(tried)
        + f"\nTo supply a copy, get {DATASETS[name].how_to_supply}, and point the config at it,"
        f" e.g. in a --configfile:\n  data:\n    local:\n      {name}: /path/to/copy")


def build_dataset(name: str, options: dict) -> dict:
    """The tensor record written to ``results/data/{name}.pt`` (see DESIGN.md)."""
    import torch

    arrays, source = obtain_arrays(name, options)
    verify(name, arrays, options)
    train = torch.from_numpy(np.array(arrays["train_images"]))
    scaled = train.to(torch.float64) / 255.0
    dims = (0, 2, 3)
    mean, std = scaled.mean(dim=dims), scaled.std(dim=dims)
    extra = {}
    if options.get("zca"):
        normed = (scaled - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
        extra["zca"] = zca_whitening(normed.flatten(1), float(options["zca_regularization"]))
    return {
        **extra,
        "name": name,
        "source": source,
        "classes": class_names(name, arrays),
        "train_images": train,
        "train_labels": torch.from_numpy(np.array(arrays["train_labels"])),
        "test_images": torch.from_numpy(np.array(arrays["test_images"])),
        "test_labels": torch.from_numpy(np.array(arrays["test_labels"])),
        "mean": mean.to(torch.float32),
        "std": std.to(torch.float32),
    }


MAX_ZCA_FEATURES = 4096


def zca_whitening(x, regularization: float) -> dict:
    """ZCA whitening of ``x`` ``[N, D]`` (float64): W = U (S + eps)^-1/2 U^T on the
    covariance's eigenvectors, and its inverse for showing whitened images."""
    import torch

    if x.shape[1] > MAX_ZCA_FEATURES:
        raise ValueError(f"ZCA whitening needs at most {MAX_ZCA_FEATURES} features per image; "
                         f"this dataset has {x.shape[1]}")
    center = x.mean(0)
    cov = (x - center).T @ (x - center) / len(x)
    eigvals, eigvecs = torch.linalg.eigh(cov)
    scale = (eigvals.clamp(min=0) + regularization).sqrt()
    return {"mean": center.float(), "matrix": ((eigvecs / scale) @ eigvecs.T).float(),
            "inverse": ((eigvecs * scale) @ eigvecs.T).float()}


@dataclass
class Split:
    """Normalised float tensors of one dataset on one device."""

    x_train: "torch.Tensor"
    y_train: "torch.Tensor"
    x_test: "torch.Tensor"
    y_test: "torch.Tensor"
    mean: "torch.Tensor"
    std: "torch.Tensor"
    classes: list
    zca: dict | None = None

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    def normalize(self, x):
        """From [0, 1] pixel space to the space every stage trains in: the
        training mean and std, then ZCA whitening where the dataset has it."""
        return normalize(x, self.mean, self.std, self.zca)

    def denormalize(self, x):
        """Back to [0, 1] pixel space, for pictures (undoing ZCA whitening first)."""
        if self.zca is not None:
            flat = x.flatten(1) @ self.zca["inverse"].to(x) + self.zca["mean"].to(x)
            x = flat.view_as(x)
        shape = (1, -1, 1, 1)
        return (x * self.std.view(shape).to(x) + self.mean.view(shape).to(x)).clamp(0, 1)


def normalize(x, mean, std, zca: dict | None):
    """[0, 1] images standardised per channel, then ZCA-whitened if ``zca`` is given."""
    x = (x - mean.view(1, -1, 1, 1).to(x)) / std.view(1, -1, 1, 1).to(x)
    if zca is not None:
        x = ((x.flatten(1) - zca["mean"].to(x)) @ zca["matrix"].to(x)).view_as(x)
    return x


def load_split(path: str | Path, device="cpu") -> Split:
    """Read a dataset file and normalise it with its training mean and std."""
    import torch

    from ..atomic import load_tensors

    record = load_tensors(path)
    mean, std = record["mean"].to(device), record["std"].to(device)

    zca = {k: v.to(device) for k, v in record["zca"].items()} if "zca" in record else None

    def norm(images):
        return normalize(images.to(device=device, dtype=torch.float32) / 255.0, mean, std, zca)

    return Split(norm(record["train_images"]), record["train_labels"].to(device),
                 norm(record["test_images"]), record["test_labels"].to(device),
                 mean, std, list(record["classes"]), zca)
