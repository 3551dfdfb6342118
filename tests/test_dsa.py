"""Differentiable Siamese augmentation: gradients reach the images, one draw is shared,
and every transform keeps the shape and the value range it should."""

import pytest
import torch

from ddlaws.data import dsa
from ddlaws.train.engine import make_generator

SPEC = {"type": "dsa"}


def forced(kind: str) -> dict:
    return {"type": "dsa", "strategy": kind}


@pytest.mark.parametrize("kind", dsa.TRANSFORMS)
def test_gradients_reach_the_images(kind):
    x = torch.rand(4, 3, 16, 16, requires_grad=True)
    out = dsa.augment(x, forced(kind), make_generator(0, "cpu"))
    out.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


@pytest.mark.parametrize("seed", range(6))
def test_siamese_draw_is_identical_for_real_and_synthetic(seed):
    real = torch.rand(8, 3, 16, 16)
    syn = real[:3].clone().requires_grad_(True)
    d = dsa.siamese(SPEC, make_generator(seed, "cpu"), 16)
    a, b = dsa.apply(real, d), dsa.apply(syn, d)
    assert torch.allclose(a[:3], b, atol=1e-6)
    # the same seed draws the same transform again
    again = dsa.siamese(SPEC, make_generator(seed, "cpu"), 16)
    assert again.kind == d.kind
    assert torch.allclose(dsa.apply(real, again), a, atol=1e-6)


def test_per_sample_draws_differ_at_evaluation():
    x = torch.rand(1, 1, 16, 16).expand(64, -1, -1, -1)
    out = dsa.augment(x, forced("rotate"), make_generator(0, "cpu"))
    assert len(torch.unique(out.flatten(1), dim=0)) > 1


@pytest.mark.parametrize("kind", ["crop", "cutout", "flip", "scale", "rotate"])
def test_geometric_transforms_keep_shape_and_range(kind):
    x = torch.rand(16, 3, 12, 12) * 2 - 0.5  # values in [-0.5, 1.5]
    out = dsa.augment(x, forced(kind), make_generator(1, "cpu"))
    assert out.shape == x.shape
    # resampling is a convex combination of input pixels and the zero padding
    assert out.min() >= min(x.min().item(), 0.0) - 1e-5
    assert out.max() <= max(x.max().item(), 0.0) + 1e-5


def test_color_stays_within_its_factor_bounds():
    s = dsa.settings(SPEC)
    x = torch.rand(32, 3, 8, 8)
    out = dsa.augment(x, forced("color"), make_generator(2, "cpu"))
    assert out.shape == x.shape and torch.isfinite(out).all()
    lo, hi = x.min().item() - s["brightness"] / 2, x.max().item() + s["brightness"] / 2
    width = hi - lo
    lo, hi = lo - s["saturation"] * width, hi + s["saturation"] * width
    width = hi - lo
    lo, hi = lo - (1 + s["contrast"]) * width, hi + (1 + s["contrast"]) * width
    assert lo <= out.min() and out.max() <= hi
    # a grey image keeps its saturation: only brightness and contrast act
    grey = torch.rand(4, 1, 8, 8)
    assert torch.isfinite(dsa.augment(grey, forced("color"), make_generator(3, "cpu"))).all()


def test_unknown_transform_is_rejected():
    with pytest.raises(ValueError, match="unknown DSA transform"):
        dsa.settings({"type": "dsa", "strategy": "crop_warp"})
