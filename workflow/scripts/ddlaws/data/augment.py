"""Training-time augmentation of normalised image batches, drawn from a generator.

All randomness comes from the caller's ``torch.Generator``, so a model's
augmentation stream depends on its seed alone; that is what makes one-at-a-time
and vectorised training draw identical batches.
"""

from __future__ import annotations

import torch

from ..plan.options import augmentation_options
from . import dsa


def crop_flip(x: torch.Tensor, pad: int, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """Per-sample random crop from the zero-padded image, and a random horizontal flip."""
    b = x.shape[0]
    out = x
    if pad > 0:
        dx = torch.randint(-pad, pad + 1, (b,), generator=generator, device=generator.device)
        dy = torch.randint(-pad, pad + 1, (b,), generator=generator, device=generator.device)
        out = dsa.translate(x, dx, dy, pad)
    if flip:
        mask = torch.rand(b, generator=generator, device=generator.device).to(x.device) < 0.5
        out = torch.where(mask[:, None, None, None], out.flip(-1), out)
    return out


def apply_augmentation(x: torch.Tensor, spec: dict, generator: torch.Generator) -> torch.Tensor:
    """Apply the augmentation a config spec describes (``{"type": ...}``)."""
    kind = spec["type"]
    if kind == "none":
        return x
    if kind == "crop_flip":
        opts = augmentation_options(spec)
        return crop_flip(x, int(opts["pad"]), bool(opts["flip"]), generator)
    if kind == "dsa":
        return dsa.augment(x, spec, generator)
    raise ValueError(f"unknown augmentation {kind!r}")
