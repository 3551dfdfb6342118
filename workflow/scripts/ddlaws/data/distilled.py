"""The distilled-set file and the picture beside it.

``results/distilled/{dataset}/{method}/ipc{k}/seed{s}.pt`` holds the synthetic
images (normalised space), labels, soft labels as probabilities where the
method learned them (``soft_labels``), the learned lr (MTT, else None), every
hyper-parameter, the loss curve and the wall time; it loads with
``weights_only=True``. A PNG grid (one row per class, de-normalised) sits beside it.
"""

from __future__ import annotations

import io

import torch

from ..atomic import save_tensors, write_bytes
from .datasets import Split

MAX_PER_CLASS_SHOWN = 10
MAX_CLASSES_SHOWN = 20


def make_record(result: dict, dataset: str, method: str, ipc: int, seed: int, params: dict,
                wall_time: float) -> dict:
    images = result["images"].detach().float().cpu()
    if not torch.isfinite(images).all():
        raise FloatingPointError(f"{method} ipc{ipc} seed{seed}: the distilled images contain NaN or inf")
    lr = result.get("lr")
    record = {
        "dataset": dataset, "method": method, "ipc": int(ipc), "seed": int(seed),
        "images": images.contiguous(),
        "labels": result["labels"].detach().long().cpu(),
        "lr": None if lr is None else float(lr),
        "params": params,
        "loss_curve": result["loss_curve"].detach().float().cpu(),
        "wall_time": float(wall_time),
    }
    if result.get("soft_labels") is not None:
        record["soft_labels"] = result["soft_labels"].detach().float().cpu().contiguous()
    return record


def tile(pics: torch.Tensor, per_row: int, padding: int) -> torch.Tensor:
    """Lay ``[N, C, H, W]`` images out in rows of ``per_row`` on a white canvas."""
    n, c, h, w = pics.shape
    rows = -(-n // per_row)
    canvas = torch.ones(c, rows * (h + padding) + padding, per_row * (w + padding) + padding)
    for i in range(n):
        top, left = padding + (i // per_row) * (h + padding), padding + (i % per_row) * (w + padding)
        canvas[:, top:top + h, left:left + w] = pics[i]
    return canvas


def grid_png(record: dict, split: Split) -> bytes:
    """One row per class (the first few classes and images), upscaled to >= 64 px per image."""
    from PIL import Image

    images, labels = record["images"], record["labels"]
    rows = []
    for c in range(min(split.num_classes, MAX_CLASSES_SHOWN)):
        chosen = images[labels == c][:MAX_PER_CLASS_SHOWN]
        rows.append(chosen)
    per_row = max(len(r) for r in rows)
    padded = []
    for r in rows:
        fill = torch.full((per_row - len(r), *images.shape[1:]), float("nan"))
        padded.append(torch.cat([r, fill]))
    pics = split.denormalize(torch.cat(padded).to(split.mean.device)).nan_to_num(1.0).cpu()
    scale = max(1, 64 // pics.shape[-1])
    pics = torch.nn.functional.interpolate(pics, scale_factor=scale, mode="nearest")
    grid = tile(pics, per_row, padding=2)
    array = (grid.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(array.squeeze(-1) if array.shape[-1] == 1 else array).save(buf, format="PNG")
    return buf.getvalue()


def save_distilled(record: dict, split: Split, pt_path, png_path) -> None:
    write_bytes(png_path, grid_png(record, split))
    save_tensors(record, pt_path)
