"""Datasets: the embedded digits, copies checked by content against their declarations, a fast clear
failure offline. (Each catalog dataset's reader: tests/test_catalog.py.)"""

import gzip
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ddlaws.atomic import load_tensors
from ddlaws.data.catalog import DATASETS
from ddlaws.data.datasets import DatasetInvalid, DatasetUnavailable, build_dataset, verify
from ddlaws.data.readers import idx_arrays, read_idx

FASHION = Path("/usr/share/datasets/fashion-mnist")


def write_idx(path: Path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


def test_digits_record(digits_file):
    record = load_tensors(digits_file)
    assert record["train_images"].dtype == torch.uint8 and record["train_images"].shape[1:] == (1, 8, 8)
    assert len(record["train_images"]) + len(record["test_images"]) == 1797
    assert record["train_labels"].dtype == torch.int64
    assert torch.bincount(record["test_labels"]).min() >= 50
    assert record["classes"] == [str(i) for i in range(10)]
    assert 0 < record["mean"].item() < 1 and record["std"].item() > 0


def test_idx_roundtrip(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    for compress in (False, True):
        path = tmp_path / f"x{compress}"
        write_idx(path, images, compress)
        assert np.array_equal(read_idx(path), images)


def test_local_copy_is_verified_by_content(tmp_path):
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (30, 28, 28)), True)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(30) % 10, True)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (10, 28, 28)), False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.arange(10), False)
    arrays = idx_arrays(tmp_path)
    assert arrays["train_images"].shape == (30, 1, 28, 28)
    with pytest.raises(DatasetInvalid, match=f"{tmp_path}: fashion_mnist train: 30 images, expected 60000"):
        verify(DATASETS["fashion_mnist"], arrays, {}, str(tmp_path))


def test_debian_fashion_mnist_copy():
    """Debian's copy, read as a user's ``data.local`` would; skipped where it is not installed, except where
    DDLAWS_REQUIRE_FASHION_MNIST=1 (as in CI, which installs it) makes that a failure."""
    if not FASHION.exists():
        reason = f"Debian's dataset-fashion-mnist is not installed ({FASHION})"
        if os.environ.get("DDLAWS_REQUIRE_FASHION_MNIST") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    record = build_dataset(DATASETS["fashion_mnist"], {"local": str(FASHION), "download": False,
                                                       "download_dir": "unused", "download_timeout": 1})
    assert record["train_images"].shape == (60000, 1, 28, 28)
    assert torch.bincount(record["train_labels"]).tolist() == [6000] * 10
    assert record["classes"][0] == "T-shirt/top"
    assert record["mean"].item() == pytest.approx(0.2860, abs=1e-3)


def test_offline_without_copy_fails_fast_and_says_what_to_do(tmp_path, monkeypatch):
    # no network: every connection attempt fails at once
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    start = time.time()
    with pytest.raises(DatasetUnavailable) as err:
        build_dataset(DATASETS["mnist"], {"local": str(tmp_path / "missing"), "download": True,
                                "download_dir": str(tmp_path / "dl"), "download_timeout": 5})
    assert time.time() - start < 30
    message = str(err.value)
    assert "'mnist'" in message and "missing: does not exist" in message
    assert "download" in message and "data:\n    local:\n      mnist:" in message
