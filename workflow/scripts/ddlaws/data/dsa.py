"""Differentiable Siamese augmentation (DSA).

One transform is drawn per call from the strategy (e.g.
``color_crop_cutout_flip_scale_rotate``). Every transform is differentiable
with respect to the images, so distillation can back-propagate through it.

Drawing and applying are separate: ``draw`` makes a ``Draw`` (which transform,
and its random parameters for ``n`` samples); ``apply`` transforms a batch with
it. Siamese use draws once with ``n = 1`` and applies the same draw to the real
and the synthetic batch; evaluation-time use draws per sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from ..plan.options import augmentation_options

TRANSFORMS = ("color", "crop", "cutout", "flip", "scale", "rotate")


@dataclass
class Draw:
    kind: str
    values: dict = field(default_factory=dict)


def settings(spec: dict) -> dict:
    """The DSA parameters of an augmentation spec, defaults filled in."""
    out = augmentation_options({**spec, "type": "dsa"})
    unknown = [t for t in out["strategy"].split("_") if t not in TRANSFORMS]
    if unknown:
        raise ValueError(f"unknown DSA transform(s) {unknown}; choose from {TRANSFORMS}")
    return out


def _uniform(n: int, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=generator.device)


def draw(spec: dict, n: int, size: int, generator: torch.Generator) -> Draw:
    """Pick one transform of the strategy and its parameters for ``n`` samples."""
    s = settings(spec)
    kinds = s["strategy"].split("_")
    kind = kinds[int(torch.randint(len(kinds), (1,), generator=generator, device=generator.device))]
    if kind == "color":
        return Draw(kind, {"brightness": (_uniform(n, generator) - 0.5) * s["brightness"],
                           "saturation": _uniform(n, generator) * s["saturation"],
                           "contrast": _uniform(n, generator) + s["contrast"]})
    if kind == "crop":
        shift = int(size * s["crop"] + 0.5)
        return Draw(kind, {"dx": torch.randint(-shift, shift + 1, (n,), generator=generator, device=generator.device),
                           "dy": torch.randint(-shift, shift + 1, (n,), generator=generator, device=generator.device),
                           "pad": shift})
    if kind == "cutout":
        cut = int(size * s["cutout"] + 0.5)
        return Draw(kind, {"cx": torch.randint(0, size, (n,), generator=generator, device=generator.device),
                           "cy": torch.randint(0, size, (n,), generator=generator, device=generator.device),
                           "size": cut})
    if kind == "flip":
        return Draw(kind, {"mask": _uniform(n, generator) < s["flip"]})
    if kind == "scale":
        low = 1.0 / s["scale"]
        return Draw(kind, {"sx": _uniform(n, generator) * (s["scale"] - low) + low,
                           "sy": _uniform(n, generator) * (s["scale"] - low) + low})
    # rotate
    return Draw(kind, {"theta": (_uniform(n, generator) - 0.5) * 2 * s["rotate"] / 180 * math.pi})


def _col(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return values.to(x.device, x.dtype).view(-1, 1, 1, 1)


def translate(x: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor, pad: int) -> torch.Tensor:
    """Translate each image by (dx, dy) pixels, |dx|, |dy| <= pad, filling with zeros (differentiable in x)."""
    b, _, h, w = x.shape
    if pad == 0:
        return x
    padded = F.pad(x, (pad, pad, pad, pad))
    dx, dy = dx.to(x.device).expand(b), dy.to(x.device).expand(b)
    rows = (pad - dy[:, None] + torch.arange(h, device=x.device))[:, :, None]
    cols = (pad - dx[:, None] + torch.arange(w, device=x.device))[:, None, :]
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def _affine(x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    grid = F.affine_grid(theta.to(x.device, x.dtype).expand(x.shape[0], 2, 3), list(x.shape), align_corners=True)
    return F.grid_sample(x, grid, align_corners=True)


def apply(x: torch.Tensor, d: Draw) -> torch.Tensor:
    """Transform ``x`` with draw ``d`` (a draw for 1 sample applies to every sample)."""
    v = d.values
    if d.kind == "color":
        x = x + _col(v["brightness"], x)
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * _col(v["saturation"], x) + mean
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        return (x - mean) * _col(v["contrast"], x) + mean
    if d.kind == "crop":
        return translate(x, v["dx"], v["dy"], v["pad"])
    if d.kind == "cutout":
        b, _, h, w = x.shape
        half = v["size"] // 2
        rows = torch.arange(h, device=x.device)[None, :, None]
        cols = torch.arange(w, device=x.device)[None, None, :]
        cy, cx = v["cy"].to(x.device).view(-1, 1, 1), v["cx"].to(x.device).view(-1, 1, 1)
        hole = ((rows >= cy - half) & (rows < cy - half + v["size"])
                & (cols >= cx - half) & (cols < cx - half + v["size"]))
        return x * (~hole).to(x.dtype)[:, None]
    if d.kind == "flip":
        return torch.where(v["mask"].to(x.device).view(-1, 1, 1, 1), x.flip(-1), x)
    if d.kind == "scale":
        zero = torch.zeros_like(v["sx"])
        theta = torch.stack([torch.stack([v["sx"], zero, zero], -1), torch.stack([zero, v["sy"], zero], -1)], 1)
        return _affine(x, theta)
    if d.kind == "rotate":
        c, s, zero = torch.cos(v["theta"]), torch.sin(v["theta"]), torch.zeros_like(v["theta"])
        theta = torch.stack([torch.stack([c, -s, zero], -1), torch.stack([s, c, zero], -1)], 1)
        return _affine(x, theta)
    raise ValueError(f"unknown DSA transform {d.kind!r}")


def augment(x: torch.Tensor, spec: dict, generator: torch.Generator) -> torch.Tensor:
    """Evaluation-time DSA: one transform per call, parameters per sample (not Siamese)."""
    return apply(x, draw(spec, x.shape[0], x.shape[-1], generator))


def siamese(spec: dict, generator: torch.Generator, size: int) -> Draw:
    """One draw shared by every image of the real and the synthetic batch."""
    return draw(spec, 1, size, generator)
