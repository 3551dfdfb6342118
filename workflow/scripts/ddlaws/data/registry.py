"""The registry of datasets: everything the workflow needs about each.

A dataset is one module of ``ddlaws.data.catalog`` that registers its reader
with :func:`dataset`, declaring beside it what the Snakefile needs before any
job runs: its classes and image shape (for the job resources and the
verification), its training and test sizes, its config block's schema (under
``data.<name>``), where a copy comes from and how a user supplies one. Nothing
outside the catalog names a dataset; the workflow asks the registry. A plug-in
(``plugins`` in the config, ``ddlaws.plan.plugins``) registers its datasets
here too, from a module outside the package; a dataset declared in the config
(``custom_datasets``, ``ddlaws.data.custom``) is described by the same record.

The download job reads a copy with the dataset's ``read`` (or ``fetch``), then
checks what it decoded against these declarations (``ddlaws.data.datasets.verify``):
the reader decodes, the declaration says what is expected, so that a reader
can be tested on a few small files in its own on-disk layout.

The registry is pure Python: the Snakefile imports it, and every dataset
module with it, at parse time; readers import numpy and torch inside.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Dataset:
    name: str
    read: Callable[..., dict]  # (local copy's folder or None, config block, scratch folder) -> arrays
    classes: int
    shape: Callable[[dict], tuple[int, int, int]]  # (channels, height, width) under its config block
    sizes: Callable[[dict], tuple[int, int]]  # (training, test) images, as verified
    how_to_supply: str  # what a local copy is, for the message of a download that failed
    source: str | None = None  # where an embedded dataset's images are (None: a local copy or a download)
    fetch: Callable[..., dict] | None = None  # (download folder, config block) -> arrays; None: no download
    class_names: tuple[str, ...] | None = None  # None: the reader's, else the class indices
    schema: dict | None = None  # the JSON schema of its block ``data.<name>``, with a default for every key
    publisher_split: bool = False  # the split is the publisher's: shared images are reported, not refused

    @property
    def module(self) -> str:
        return self.read.__module__

    @property
    def plugin_file(self) -> str | None:
        """The file of a plug-in's module; None for a dataset of this package (or of the config)."""
        if self.module.startswith("ddlaws."):
            return None
        return sys.modules[self.module].__file__


DATASETS: dict[str, Dataset] = {}


def fixed(value):
    """A declaration that no config option changes (most datasets' shape and sizes)."""
    return lambda block: value


def dataset(name: str, *, classes: int, shape, sizes, how_to_supply: str, source: str | None = None, fetch=None,
            class_names=None, schema: dict | None = None, publisher_split: bool = False):
    """Register the decorated ``read(root, block, scratch)`` as dataset ``name``.

    ``read`` decodes a copy under ``root`` (None for an embedded dataset, one
    with a ``source``) into ``{"train_images", "train_labels", "test_images",
    "test_labels"}``: uint8 images [N, C, H, W] and int64 labels, optionally
    ``classes`` (names); ``scratch`` is a folder to unpack archives into.
    ``shape`` and ``sizes`` are tuples or functions of the config block
    ``data.<name>`` (ImageNette's size is an option); ``fetch(root, block)``
    downloads into ``root`` and decodes.
    """

    def register(read):
        if name in DATASETS:
            raise ValueError(f"dataset {name!r} is registered twice: by {DATASETS[name].module} and {read.__module__}")
        DATASETS[name] = Dataset(name, read, classes, shape if callable(shape) else fixed(shape),
                                 sizes if callable(sizes) else fixed(sizes), how_to_supply, source, fetch,
                                 tuple(class_names) if class_names is not None else None, schema, publisher_split)
        return read

    return register
