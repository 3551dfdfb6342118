"""Fashion-MNIST: 70000 28x28 grey images of clothing, in MNIST's IDX layout."""

from __future__ import annotations

from ...deferred import deferred
from ..registry import dataset

readers = deferred("ddlaws.data.readers")

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def fetch(root, block: dict) -> dict:
    readers.torchvision_download("FashionMNIST", root)
    return readers.idx_arrays(root)


@dataset("fashion_mnist", classes=10, shape=(1, 28, 28), sizes=(60000, 10000), fetch=fetch, class_names=CLASSES,
         publisher_split=True,
         how_to_supply="a directory holding the four IDX files; on Debian, "
                       "`apt install dataset-fashion-mnist` gives /usr/share/datasets/fashion-mnist")
def read(root, block: dict, scratch) -> dict:
    return readers.idx_arrays(root)
