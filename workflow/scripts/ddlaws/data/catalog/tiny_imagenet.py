"""TinyImageNet: 200 ImageNet classes at 64x64, 500 training and 50 validation images each
(DC-BENCH and DD-Ranking evaluate on it). Its test split has no labels: the validation split is the test."""

from __future__ import annotations

from ...deferred import deferred
from ..registry import dataset

readers = deferred("ddlaws.data.readers")


@dataset("tiny_imagenet", classes=200, shape=(3, 64, 64), sizes=(100000, 10000), publisher_split=True,
         how_to_supply="a directory holding tiny-imagenet-200/ (wnids.txt, train/<wnid>/images/, val/images/ and "
                       "val/val_annotations.txt), unpacked from http://cs231n.stanford.edu/tiny-imagenet-200.zip")
def read(root, block: dict, scratch) -> dict:
    return readers.tiny_imagenet_arrays(root)
