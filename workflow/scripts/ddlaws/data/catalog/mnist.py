"""MNIST: 70000 28x28 handwritten digits in four IDX files."""

from __future__ import annotations

from ...deferred import deferred
from ..registry import dataset

readers = deferred("ddlaws.data.readers")


def fetch(root, block: dict) -> dict:
    readers.torchvision_download("MNIST", root)
    return readers.idx_arrays(root)


@dataset("mnist", classes=10, shape=(1, 28, 28), sizes=(60000, 10000), fetch=fetch, publisher_split=True,
         how_to_supply="a directory holding the four IDX files (train-images-idx3-ubyte[.gz], ...)")
def read(root, block: dict, scratch) -> dict:
    return readers.idx_arrays(root)
