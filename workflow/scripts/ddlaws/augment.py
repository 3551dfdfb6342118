"""Training-time augmentation of normalised image batches, drawn from a generator.

All randomness comes from the caller's ``torch.Generator``, so a model's
augmentation stream depends on its seed alone; that is what makes one-at-a-time
and vectorised training draw identical batches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def crop_flip(x: torch.Tensor, pad: int, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """Per-sample random crop from the zero-padded image, and a random horizontal flip."""
    b, _, h, w = x.shape
    out = x
    if pad > 0:
        padded = F.pad(x, (pad, pad, pad, pad))
        dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator, device=generator.device).to(x.device)
        dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator, device=generator.device).to(x.device)
        rows = (dy[:, None] + torch.arange(h, device=x.device))[:, :, None]  # [B, H, 1]
        cols = (dx[:, None] + torch.arange(w, device=x.device))[:, None, :]  # [B, 1, W]
        batch = torch.arange(b, device=x.device)[:, None, None]
        out = padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)
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
        return crop_flip(x, int(spec.get("pad", 4)), bool(spec.get("flip", True)), generator)
    raise ValueError(f"unknown augmentation {kind!r}")
