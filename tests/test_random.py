"""The random baseline: k distinct real images per class, reproducible for a seed."""

import pytest
import torch

from ddlaws.methods import get_method


@pytest.mark.parametrize("ipc", [1, 7])
def test_class_balance_and_reproducibility(digits, ipc):
    distill = get_method("random")
    a = distill(digits, ipc, seed=3, params={})
    b = distill(digits, ipc, seed=3, params={})
    c = distill(digits, ipc, seed=4, params={})
    assert torch.equal(a["images"], b["images"])
    assert not torch.equal(a["images"], c["images"])
    assert torch.bincount(a["labels"], minlength=10).tolist() == [ipc] * 10
    # the images are real training images of their label, and distinct
    for img, label in zip(a["images"], a["labels"]):
        hits = (digits.x_train == img).flatten(1).all(1).nonzero().flatten()
        assert len(hits) >= 1 and (digits.y_train[hits] == label).any()
    assert len(torch.unique(a["images"].flatten(1), dim=0)) == len(a["images"])


def test_too_many_images_per_class(digits):
    with pytest.raises(ValueError, match="fewer than ipc"):
        get_method("random")(digits, 10_000, seed=0, params={})
