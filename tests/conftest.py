"""Shared fixtures: the repository paths, validated configs, the digits data."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
import yaml

from ddlaws.plan.configs import validate

ROOT = Path(__file__).resolve().parents[1]


def readme_count(pattern: str) -> int:
    """The number the README states where ``pattern`` (one group) matches: a figure a test can check, checked."""
    import re

    found = re.search(pattern, (ROOT / "README.md").read_text())
    assert found, f"README.md no longer says {pattern!r}"
    return int(found.group(1).replace(",", ""))
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())


def merged(overrides: dict | None = None, base: dict | None = None) -> dict:
    """The default config deep-merged with ``overrides`` (as Snakemake's --configfile), validated."""

    def merge(into: dict, new: dict) -> dict:
        for key, value in new.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = copy.deepcopy(value)
        return into

    config = merge(copy.deepcopy(base if base is not None else DEFAULT_CONFIG), overrides or {})
    return validate(config, SCHEMA)


@pytest.fixture(scope="session")
def digits_file(tmp_path_factory) -> Path:
    from ddlaws.atomic import save_tensors
    from ddlaws.data.catalog import DATASETS
    from ddlaws.data.datasets import build_dataset

    path = tmp_path_factory.mktemp("data") / "digits.pt"
    save_tensors(build_dataset(DATASETS["digits"], {"test_fraction": 0.3, "split_seed": 0}), path)
    return path


@pytest.fixture(scope="session")
def digits(digits_file):
    from ddlaws.data.datasets import load_split

    torch.set_num_threads(1)
    return load_split(digits_file)


def pytest_collection_modifyitems(items):
    """Files with cluster or workflow tests first, the rest in file order, each file's tests kept together
    (a module fixture is set up once): with several workers (``make test``) the longest files start at once
    instead of ending the run alone."""
    def rank(item):
        return 0 if item.get_closest_marker("slurm") else 1 if item.get_closest_marker("workflow") else 2
    first = {}
    for item in items:
        first[item.path] = min(first.get(item.path, 2), rank(item))
    items.sort(key=lambda item: first[item.path])
