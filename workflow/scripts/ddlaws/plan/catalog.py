"""The datasets the workflow knows: channels, classes, expected counts, image size.

Pure data, apart from the loaders in ``ddlaws.data.datasets``: the job resources
read it at parse time, and the loaders check what they decoded against it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    channels: int
    classes: int
    train: int | None  # expected counts; None where a split option decides
    test: int | None
    size: int | None  # side in pixels; None where an option decides
    how_to_supply: str


DATASETS: dict[str, DatasetInfo] = {
    "digits": DatasetInfo(1, 10, None, None, 8, "it ships with scikit-learn; no copy is needed"),
    "mnist": DatasetInfo(1, 10, 60000, 10000, 28,
                         "a directory holding the four IDX files (train-images-idx3-ubyte[.gz], ...)"),
    "fashion_mnist": DatasetInfo(1, 10, 60000, 10000, 28,
                                 "a directory holding the four IDX files; on Debian, "
                                 "`apt install dataset-fashion-mnist` gives /usr/share/datasets/fashion-mnist"),
    "cifar10": DatasetInfo(3, 10, 50000, 10000, 32,
                           "a directory holding cifar-10-batches-py/ or cifar-10-python.tar.gz"),
    "cifar100": DatasetInfo(3, 100, 50000, 10000, 32,
                            "a directory holding cifar-100-python/ or cifar-100-python.tar.gz"),
    "imagenette": DatasetInfo(3, 10, 9469, 3925, None,
                              "a directory holding imagenette2-160/ (torchvision's layout)"),
}
