"""The dataset registry: every registered dataset declares what the workflow needs, and every catalog
dataset's reader decodes a few small files written in its own on-disk layout (no network)."""

from __future__ import annotations

import dataclasses
import gzip
import pickle
import tarfile

import numpy as np
import pytest
import yaml
from PIL import Image

from conftest import SCHEMA, merged
from ddlaws.data.catalog import DATASETS
from ddlaws.data.datasets import DatasetInvalid, class_names, verify
from ddlaws.data.registry import fixed

TRAIN, TEST = 5, 2  # images per class the writers below put in each split
rng = np.random.default_rng(0)


def pixels(n: int, channels: int, side: int) -> np.ndarray:
    return rng.integers(0, 256, (n, channels, side, side), dtype=np.uint8)


def labels(n_per_class: int, classes: int) -> np.ndarray:
    return np.tile(np.arange(classes), n_per_class)


def write_idx(path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def write_mnist(root) -> None:
    """torchvision's layout: ``<Name>/raw/`` holding the four gzipped IDX files."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, stem, n in (("train", "train", TRAIN), ("test", "t10k", TEST)):
        write_idx(raw / f"{stem}-images-idx3-ubyte.gz", pixels(10 * n, 1, 28)[:, 0])
        write_idx(raw / f"{stem}-labels-idx1-ubyte.gz", labels(n, 10))


def _pickle(path, content: dict) -> None:
    path.write_bytes(pickle.dumps(content))


def write_cifar10(root) -> None:
    """The python layout, packed as the archive torchvision downloads: the reader unpacks it."""
    folder = root / "unpacked" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for i in range(1, TRAIN + 1):  # five training batches, one image per class each
        _pickle(folder / f"data_batch_{i}", {"data": pixels(10, 3, 32).reshape(-1, 3072), "labels": list(range(10))})
    _pickle(folder / "test_batch", {"data": pixels(10 * TEST, 3, 32).reshape(-1, 3072),
                                    "labels": labels(TEST, 10).tolist()})
    _pickle(folder / "batches.meta", {"label_names": [f"c{i}" for i in range(10)]})
    with tarfile.open(root / "cifar-10-python.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")


def write_cifar100(root) -> None:
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    for split, n in (("train", TRAIN), ("test", TEST)):
        _pickle(folder / split, {"data": pixels(100 * n, 3, 32).reshape(-1, 3072),
                                 "fine_labels": labels(n, 100).tolist(), "coarse_labels": [0] * 100 * n})
    _pickle(folder / "meta", {"fine_label_names": [f"f{i}" for i in range(100)]})


def write_svhn(root) -> None:
    """``X`` [32, 32, 3, N] and ``y`` [N, 1], the digit 0 labelled 10, as the .mat files hold them."""
    from scipy.io import savemat

    for split, n in (("train", TRAIN), ("test", TEST)):
        y = labels(n, 10)
        savemat(root / f"{split}_32x32.mat", {"X": pixels(10 * n, 3, 32).transpose(2, 3, 1, 0),
                                               "y": np.where(y == 0, 10, y)[:, None].astype(np.uint8)})


def _jpeg(path, side: int, mode: str = "RGB") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = pixels(1, 3, side)[0].transpose(1, 2, 0)
    Image.fromarray(image).convert(mode).save(path, quality=95)


def write_tiny_imagenet(root) -> None:
    folder = root / "tiny-imagenet-200"
    wnids = [f"n{i:08d}" for i in range(200)]
    folder.mkdir()
    (folder / "wnids.txt").write_text("\n".join(wnids) + "\n")
    (folder / "words.txt").write_text("".join(f"{w}\tthing {i}, other name\n" for i, w in enumerate(wnids)))
    for wnid in wnids:
        for j in range(TRAIN):  # one gray JPEG per class, as TinyImageNet has
            _jpeg(folder / "train" / wnid / "images" / f"{wnid}_{j}.JPEG", 64, "L" if j == 0 else "RGB")
    lines = []
    for j in range(TEST):
        for c, wnid in enumerate(wnids):
            name = f"val_{j * 200 + c}.JPEG"
            _jpeg(folder / "val" / "images" / name, 64)
            lines.append(f"{name}\t{wnid}\t0\t0\t63\t63")
    (folder / "val" / "val_annotations.txt").write_text("\n".join(lines) + "\n")


IMAGENETTE_WNIDS = ["n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
                    "n03394916", "n03417042", "n03425413", "n03445777", "n03888257"]


def write_imagenette(root) -> None:
    """torchvision's ``imagenette2-160/{train,val}/<wnid>/*.JPEG``, images of other sizes than stored."""
    for split, n in (("train", TRAIN), ("val", TEST)):
        for wnid in IMAGENETTE_WNIDS:
            for j in range(n):
                _jpeg(root / "imagenette2-160" / split / wnid / f"{wnid}_{j}.JPEG", 40 + 8 * j)


WRITERS = {"mnist": write_mnist, "fashion_mnist": write_mnist, "cifar10": write_cifar10, "cifar100": write_cifar100,
           "svhn": write_svhn, "tiny_imagenet": write_tiny_imagenet, "imagenette": write_imagenette}
NAMES = {"cifar10": "c0", "cifar100": "f0", "tiny_imagenet": "thing 0", "imagenette": "tench",
         "fashion_mnist": "T-shirt/top", "mnist": "0", "svhn": "0"}


def test_every_catalog_dataset_but_the_embedded_one_has_an_offline_reader_test():
    assert set(WRITERS) == {name for name, d in DATASETS.items() if d.source is None}


@pytest.mark.parametrize("name", WRITERS)
def test_each_reader_decodes_small_files_in_its_own_layout(tmp_path, name):
    dataset = DATASETS[name]
    copy = tmp_path / "copy"
    copy.mkdir()
    WRITERS[name](copy)
    block = merged({"datasets": [name]})["data"].get(name, {})
    arrays = dataset.read(copy, block, tmp_path / "scratch")
    shape = dataset.shape(block)
    for split, n in (("train", TRAIN), ("test", TEST)):
        assert arrays[f"{split}_images"].dtype == np.uint8
        assert arrays[f"{split}_images"].shape == (dataset.classes * n, *shape)
        assert np.bincount(arrays[f"{split}_labels"]).tolist() == [n] * dataset.classes
    assert class_names(dataset, arrays)[0] == NAMES[name]
    # the whole verification, against the declaration with this copy's sizes in place of the full ones
    small = dataclasses.replace(dataset, sizes=fixed((dataset.classes * TRAIN, dataset.classes * TEST)))
    verify(small, arrays, block, str(copy))
    with pytest.raises(DatasetInvalid, match=rf"{copy}: {name} train: {dataset.classes * TRAIN} images, expected"):
        verify(dataset, arrays, block, str(copy))


def test_svhn_labels_its_zeros_zero(tmp_path):
    write_svhn(tmp_path)
    from scipy.io import loadmat

    stored = loadmat(tmp_path / "train_32x32.mat")
    arrays = DATASETS["svhn"].read(tmp_path, {}, tmp_path)
    assert np.array_equal(arrays["train_labels"], stored["y"][:, 0] % 10)
    assert np.array_equal(arrays["train_images"][5], stored["X"][..., 5].transpose(2, 0, 1))


def test_a_missing_file_is_named(tmp_path):
    write_svhn(tmp_path)
    (tmp_path / "test_32x32.mat").unlink()
    with pytest.raises(FileNotFoundError, match="test_32x32.mat not found"):
        DATASETS["svhn"].read(tmp_path, {}, tmp_path)


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_registered_dataset_declares_what_the_workflow_needs(name):
    """Its config block validates with every default, its declarations agree, and the schema knows it."""
    dataset = DATASETS[name]
    config = merged({"datasets": [name]})
    block = config["data"].get(name, {})
    assert (name in config["data"]) == (dataset.schema is not None)
    channels, height, width = dataset.shape(block)
    assert channels in (1, 3) and height > 0 and width > 0
    train, test = dataset.sizes(block)
    assert train >= dataset.classes and test >= dataset.classes
    assert dataset.class_names is None or len(dataset.class_names) == dataset.classes
    assert dataset.how_to_supply and (dataset.source is None or dataset.fetch is None)  # embedded: no download
    assert dataset.module == f"ddlaws.data.catalog.{name}" and dataset.plugin_file is None
    schema = yaml.safe_load(SCHEMA.read_text())
    assert name not in schema["properties"]["data"]["properties"]  # its block is its module's, not the file's
