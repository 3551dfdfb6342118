"""CIFAR-100: 60000 32x32 colour images of 100 fine classes, in its python (pickle) layout."""

from __future__ import annotations

from ...deferred import deferred
from ..registry import dataset

readers = deferred("ddlaws.data.readers")

FOLDER, ARCHIVE = "cifar-100-python", "cifar-100-python.tar.gz"


def _decode(folder) -> dict:
    return readers.cifar_arrays(folder, {"train": ["train"], "test": ["test"]}, "fine_labels", "meta",
                                "fine_label_names")


def fetch(root, block: dict) -> dict:
    readers.torchvision_download("CIFAR100", root)
    return _decode(root / FOLDER)


@dataset("cifar100", classes=100, shape=(3, 32, 32), sizes=(50000, 10000), fetch=fetch, publisher_split=True,
         how_to_supply=f"a directory holding {FOLDER}/ or {ARCHIVE}")
def read(root, block: dict, scratch) -> dict:
    return _decode(readers.unpacked(root, FOLDER, ARCHIVE, scratch))
