"""SVHN: 99289 32x32 colour crops of house-number digits (DatasetCondensation evaluates on it)."""

from __future__ import annotations

from ...deferred import deferred
from ..registry import dataset

readers = deferred("ddlaws.data.readers")


def fetch(root, block: dict) -> dict:
    for split in ("train", "test"):
        readers.torchvision_download("SVHN", root, split=split)
    return readers.svhn_arrays(root)


@dataset("svhn", classes=10, shape=(3, 32, 32), sizes=(73257, 26032), fetch=fetch, publisher_split=True,
         how_to_supply="a directory holding train_32x32.mat and test_32x32.mat (torchvision's layout)")
def read(root, block: dict, scratch) -> dict:
    return readers.svhn_arrays(root)
