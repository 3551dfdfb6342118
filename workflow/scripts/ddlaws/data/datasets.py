"""Real image classification datasets, as one tensor file per dataset.

The download job obtains a dataset's arrays through its registry entry
(``ddlaws.data.registry``): embedded (scikit-learn's digits, a dataset of the
config), a local copy named in the config (compute nodes are usually offline)
or a download. It checks what it decoded against the entry's declarations
before any other job reads it (``verify``), and writes the images with their
training mean and std, and ZCA whitening where the config asks for it.
"""

from __future__ import annotations

import hashlib
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .readers import DatasetInvalid
from .registry import Dataset

if TYPE_CHECKING:
    import torch

__all__ = ["DatasetInvalid", "DatasetUnavailable", "build_dataset", "load_split", "verify"]

log = logging.getLogger("ddlaws")


class DatasetUnavailable(RuntimeError):
    """The dataset could be neither read from a local copy nor downloaded."""


# ----------------------------------------------------------------------------- checks

def _check_split(dataset: Dataset, options: dict, where: str, split: str, x: np.ndarray, y: np.ndarray,
                 expected: int) -> None:
    channels, height, width = dataset.shape(options)
    what = f"{where}: {dataset.name} {split}"
    if x.ndim != 4 or x.shape[1:] != (channels, height, width):
        raise DatasetInvalid(f"{what}: images have shape {list(x.shape)}, expected [N, {channels}, {height}, {width}]")
    if x.dtype != np.uint8:
        if not np.issubdtype(x.dtype, np.floating):
            raise DatasetInvalid(f"{what}: images of dtype {x.dtype}, expected uint8 or floats in [0, 1]")
        if not np.isfinite(x).all():
            raise DatasetInvalid(f"{what}: the images contain NaN or inf")
        if x.size and (x.min() < 0 or x.max() > 1):
            raise DatasetInvalid(f"{what}: pixel values span [{x.min():.3g}, {x.max():.3g}], expected [0, 1]")
    if y.ndim != 1 or len(y) != len(x):
        raise DatasetInvalid(f"{what}: labels of shape {list(y.shape)} for {len(x)} images, expected [{len(x)}]")
    if len(x) != expected:
        raise DatasetInvalid(f"{what}: {len(x)} images, expected {expected}")
    if not np.issubdtype(y.dtype, np.integer):
        raise DatasetInvalid(f"{what}: labels of dtype {y.dtype}, expected whole class indices")
    if len(y) and (y.min() < 0 or y.max() >= dataset.classes):
        raise DatasetInvalid(f"{what}: labels range over [{y.min()}, {y.max()}], expected class indices "
                             f"0-{dataset.classes - 1} ({dataset.classes} classes)")
    missing = sorted(set(range(dataset.classes)) - set(np.unique(y).tolist()))
    if missing:
        raise DatasetInvalid(f"{what}: classes {missing[:20]}{' ...' if len(missing) > 20 else ''} have no image "
                             f"(expected every one of the {dataset.classes} classes)")


def image_digests(images: np.ndarray) -> list[bytes]:
    """One content digest per image: two images are the same image when their bytes are."""
    flat = np.ascontiguousarray(images).reshape(len(images), -1)
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in flat]


def shared_images(train: np.ndarray, test: np.ndarray) -> list[int]:
    """The indices of the test images that are also training images (same content)."""
    seen = set(image_digests(train))
    return [i for i, digest in enumerate(image_digests(test)) if digest in seen]


def verify(dataset: Dataset, arrays: dict, options: dict, where: str) -> None:
    """Check the decoded content of the copy at ``where`` against the dataset's declarations: shape,
    counts, label range, class coverage, NaN or inf, and test images that are training images."""
    for split, expected in zip(("train", "test"), dataset.sizes(options)):
        _check_split(dataset, options, where, split, arrays[f"{split}_images"], arrays[f"{split}_labels"], expected)
    shared = shared_images(arrays["train_images"], arrays["test_images"])
    if not shared:
        return
    message = (f"{where}: {dataset.name}: {len(shared)} test image(s) are also training images (by content), "
               f"the first at test index {shared[0]}")
    if dataset.publisher_split:  # the published split, as every paper evaluates on it
        log.warning("%s; kept, as the split is the publisher's", message)
        return
    raise DatasetInvalid(f"{message}; expected a test split disjoint from the training split")


# ----------------------------------------------------------------------------- entry point

def class_names(dataset: Dataset, arrays: dict) -> list[str]:
    if dataset.class_names is not None:
        return list(dataset.class_names)
    if "classes" in arrays:
        return [str(c) for c in arrays["classes"]]
    return [str(i) for i in range(dataset.classes)]


def obtain_arrays(dataset: Dataset, options: dict) -> tuple[dict, str]:
    """Return the dataset's arrays and a description of where they came from.

    Order: embedded (digits, a dataset of the config), then the configured local
    copy, then a download. Fails within the download timeout, with a message
    that says what was tried.
    """
    name = dataset.name
    scratch = Path(options.get("download_dir", "resources/datasets")) / name
    if dataset.source is not None:
        return dataset.read(None, options, scratch), dataset.source
    tried = []
    local = options.get("local")
    if local:
        root = Path(local)
        if not root.exists():
            tried.append(f"local copy {root}: does not exist")
        else:
            try:
                return dataset.read(root, options, scratch), f"local copy {root}"
            except (FileNotFoundError, RuntimeError) as err:
                if isinstance(err, DatasetInvalid):
                    raise
                tried.append(f"local copy {root}: {err}")
    else:
        tried.append(f"local copy: none configured (config key data.local.{name})")
    if dataset.fetch is None:
        tried.append("download: none (it is not downloadable)")
    elif options.get("download", True):
        root = Path(options["download_dir"])
        previous = socket.getdefaulttimeout()
        socket.setdefaulttimeout(float(options["download_timeout"]))
        try:
            return dataset.fetch(root, options), f"torchvision download into {root}"
        except Exception as err:  # torchvision raises several types for network failures
            tried.append(f"torchvision download into {root}: {type(err).__name__}: {err}")
        finally:
            socket.setdefaulttimeout(previous)
    else:
        tried.append("download: disabled (data.download is false)")
    raise DatasetUnavailable(
        f"dataset {name!r} is not available.\nTried:\n  - " + "\n  - ".join(tried)
        + f"\nTo supply a copy, get {dataset.how_to_supply}, and point the config at it,"
        f" e.g. in a --configfile:\n  data:\n    local:\n      {name}: /path/to/copy")


def _unit(images: "torch.Tensor", dtype, device="cpu") -> "torch.Tensor":
    """Images in [0, 1] as ``dtype``: 8-bit ones divided by 255, float ones as they are."""
    import torch

    scale = 255.0 if images.dtype == torch.uint8 else 1.0
    return images.to(device=device, dtype=dtype) / scale


def build_dataset(dataset: Dataset, options: dict) -> dict:
    """The tensor record written to ``results/data/{name}.pt`` (see DESIGN.md): images in 8 bits (or
    float32 in [0, 1], for a dataset of the config stored in floats), the training mean and std (or
    the declared ones), and ZCA whitening where ``options`` asks for it."""
    import torch

    arrays, source = obtain_arrays(dataset, options)
    verify(dataset, arrays, options, source)

    def tensor(key):
        array = np.array(arrays[key])
        return torch.from_numpy(array if array.dtype == np.uint8 or "labels" in key else array.astype(np.float32))

    train = tensor("train_images")
    scaled = _unit(train, torch.float64)
    dims = (0, 2, 3)
    mean, std = scaled.mean(dim=dims), scaled.std(dim=dims)
    if options.get("mean") is not None:
        mean, std = (torch.tensor(options[key], dtype=torch.float64) for key in ("mean", "std"))
    extra = {}
    if options.get("zca"):
        normed = (scaled - mean.view(1, -1, 1, 1)) / std.view(1, -1, 1, 1)
        extra["zca"] = zca_whitening(normed.flatten(1), float(options["zca_regularization"]))
    return {
        **extra,
        "name": dataset.name,
        "source": source,
        "classes": class_names(dataset, arrays),
        "train_images": train,
        "train_labels": torch.from_numpy(np.array(arrays["train_labels"], dtype=np.int64)),
        "test_images": tensor("test_images"),
        "test_labels": torch.from_numpy(np.array(arrays["test_labels"], dtype=np.int64)),
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
        return normalize(_unit(images, torch.float32, device), mean, std, zca)

    return Split(norm(record["train_images"]), record["train_labels"].to(device),
                 norm(record["test_images"]), record["test_labels"].to(device),
                 mean, std, list(record["classes"]), zca)
