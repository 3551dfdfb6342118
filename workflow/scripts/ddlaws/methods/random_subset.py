"""The baseline every method must beat: k real training images per class."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..deferred import deferred
from .registry import method

if TYPE_CHECKING:
    from ..data.datasets import Split

torch = deferred("torch")


def class_indices(labels: torch.Tensor, num_classes: int) -> list[torch.Tensor]:
    return [torch.nonzero(labels == c).flatten() for c in range(num_classes)]


def sample_per_class(split: Split, ipc: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``ipc`` distinct real images of every class, drawn with ``generator``; ordered by class."""
    images, labels = [], []
    for c, idx in enumerate(class_indices(split.y_train.cpu(), split.num_classes)):
        if len(idx) < ipc:
            raise ValueError(f"class {split.classes[c]!r} has only {len(idx)} training images, fewer than ipc={ipc}")
        pick = idx[torch.randperm(len(idx), generator=generator)[:ipc]].to(split.x_train.device)
        images.append(split.x_train[pick])
        labels.append(split.y_train[pick])
    return torch.cat(images), torch.cat(labels)


@method("random", work=lambda params, job: (0.0, 0.0), batch=lambda params, job: 0, configured=False)
def distill_random(split: Split, ipc: int, seed: int, params: dict, checkpointer=None) -> dict:
    gen = torch.Generator().manual_seed(int(seed))
    images, labels = sample_per_class(split, ipc, gen)
    return {"images": images, "labels": labels, "lr": None, "loss_curve": torch.empty(0)}
