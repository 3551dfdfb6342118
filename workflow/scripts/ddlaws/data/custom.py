"""Datasets of the config (``custom_datasets``): a folder of images or a tensors file, without code.

Each entry of ``custom_datasets`` is described by its kind's module as a
registry record (``ddlaws.data.registry.Dataset``), read from its files'
listing and headers, so that the job resources, the download job and its
checks treat it as a registered dataset. It is not registered: it depends on
the config, which differs between runs in one process (the tests).
:func:`dataset_of` is where the workflow looks every dataset up.

The dataset's content digest (the names and bytes of its files) is a param of
its download job, so replacing a file re-runs exactly what depends on it.
Pure Python, for the parse step.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..plan.external import files_digest, folder_files
from ..plan.options import ConfigError
from . import folder_dataset, tensor_dataset
from .catalog import DATASETS
from .registry import Dataset

KINDS = {"folder": folder_dataset.describe, "tensors": tensor_dataset.describe}


def dataset_of(config: dict, name: str) -> Dataset:
    """The registry record of dataset ``name``: a registered one, or the config's."""
    if name in DATASETS:
        return DATASETS[name]
    return _described(name, json.dumps(config.get("custom_datasets", {})[name], sort_keys=True))


@lru_cache(maxsize=None)
def _described(name: str, block: str) -> Dataset:
    """Once per process, on the declaration: the job resources look a dataset up for every job. (A
    process that rewrote a dataset's files under the same path would see the first description; the
    workflow's processes never do.)"""
    declared = json.loads(block)
    return KINDS[declared["kind"]](name, declared)


def check_custom(config: dict) -> None:
    """What the schema cannot say: a free name, and a path that exists and fits the kind."""
    for name, block in config.get("custom_datasets", {}).items():
        where = f"custom_datasets.{name}"
        if name in DATASETS:
            raise ConfigError(f"config key '{where}': {name!r} is a registered dataset's name; choose another")
        path = Path(block["path"])
        if not path.exists():
            raise ConfigError(f"config key '{where}.path': {str(path)!r} does not exist (a relative path is taken "
                              f"from the working directory, {str(Path.cwd())!r})")
        extra = sorted({"scale", "classes"} & set(block))
        if block["kind"] == "folder" and extra:
            raise ConfigError(f"config key '{where}.{extra[0]}': does not apply to kind 'folder' (8-bit images, "
                              "classes by folder name)")
        if block["kind"] == "folder" and not path.is_dir():
            raise ConfigError(f"config key '{where}.path': {str(path)!r} is not a folder; kind 'folder' reads "
                              "<path>/train/<class>/ and <path>/test/<class>/")
        if block["kind"] == "tensors" and path.suffix not in tensor_dataset.FORMATS:
            raise ConfigError(f"config key '{where}.path': {str(path)!r} is not a {', '.join(tensor_dataset.FORMATS)} "
                              "file, which kind 'tensors' reads")
        channels = dataset_of(config, name).shape({})[0]
        for key in ("mean", "std"):
            if key in block and len(block[key]) != channels:
                raise ConfigError(f"config key '{where}.{key}': {len(block[key])} value(s), but the images of "
                                  f"{str(path)!r} have {channels} channel(s)")


def content_digest(config: dict, name: str) -> str | None:
    """The digest of a config dataset's files (None for a registered dataset, whose reader checks its counts)."""
    block = config.get("custom_datasets", {}).get(name)
    if block is None:
        return None
    path = Path(block["path"])
    return files_digest(path, folder_files(path)) if path.is_dir() else files_digest(path.parent, [path])
