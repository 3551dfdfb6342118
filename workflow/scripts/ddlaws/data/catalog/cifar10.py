"""CIFAR-10: 60000 32x32 colour images of 10 classes, in its python (pickle) layout."""

from __future__ import annotations

from ...deferred import deferred
from ..registry import dataset

readers = deferred("ddlaws.data.readers")

FOLDER, ARCHIVE = "cifar-10-batches-py", "cifar-10-python.tar.gz"


def _decode(folder) -> dict:
    batches = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    return readers.cifar_arrays(folder, batches, "labels", "batches.meta", "label_names")


def fetch(root, block: dict) -> dict:
    readers.torchvision_download("CIFAR10", root)
    return _decode(root / FOLDER)


@dataset("cifar10", classes=10, shape=(3, 32, 32), sizes=(50000, 10000), fetch=fetch, publisher_split=True,
         how_to_supply=f"a directory holding {FOLDER}/ or {ARCHIVE}")
def read(root, block: dict, scratch) -> dict:
    return _decode(readers.unpacked(root, FOLDER, ARCHIVE, scratch))
