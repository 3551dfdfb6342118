"""Atomic writes: a failure mid-write leaves neither the target nor a temporary file."""

import pickle

import pytest
import torch

from ddlaws.atomic import atomic_path, load_tensors, save_tensors


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.pt"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_tensors_roundtrip_without_pickled_code(tmp_path):
    record = {"images": torch.randn(2, 1, 4, 4), "lr": None, "params": {"a": 1, "b": [0.5, "x"]}}
    save_tensors(record, tmp_path / "r.pt")
    back = load_tensors(tmp_path / "r.pt")
    assert torch.equal(back["images"], record["images"]) and back["params"] == record["params"]

    from fractions import Fraction  # any class outside the tensor allow-list

    torch.save({"x": Fraction(1, 3)}, tmp_path / "bad.pt")
    with pytest.raises(pickle.UnpicklingError):
        load_tensors(tmp_path / "bad.pt")
