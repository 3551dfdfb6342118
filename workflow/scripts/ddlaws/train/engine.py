"""The training engine: one model, in-memory tensors, a configuration dict.

A configuration (see ``configs.resolve_training``) gives the optimizer, lr,
weight decay, epochs, batch size, step schedule and augmentation. Everything
random about a run (batch order, augmentation) comes from a generator seeded by
the run's seed, and the initial weights from ``models.init_model(seed)``, so a
run is deterministic for its seed on the CPU, and ``train_many`` can reproduce
it with many models at once.
"""

from __future__ import annotations

import time
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..data.augment import apply_augmentation
from ..nn.microbatch import backward_mean_loss, chunk_size
from ..plan.options import optimizer_spec
from ..runtime import progress


def make_generator(seed: int, device) -> torch.Generator:
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(int(seed))
    return gen


def epoch_batches(n: int, batch: int, generator: torch.Generator) -> list[torch.Tensor]:
    """One epoch of shuffled minibatch indices; the whole set when it is smaller than a batch."""
    perm = torch.randperm(n, generator=generator, device=generator.device)
    size = min(batch, n)
    return list(perm.split(size))


def lr_factor(epoch: int, epochs: int, schedule: str) -> float:
    """The published step schedule: lr x 0.1 from half the epochs on."""
    if schedule == "step" and epoch >= epochs // 2:
        return 0.1
    return 1.0


def base_lr(training: dict, lr: float | None = None) -> float:
    """The lr of a run: an override (MTT's learned lr, SGD only) or the optimizer's."""
    if lr is not None and training["optimizer"]["type"] == "sgd":
        return float(lr)
    return float(training["optimizer"]["lr"])


def build_optimizer(params, opt: dict, lr: float) -> torch.optim.Optimizer:
    opt = optimizer_spec(opt)
    if opt["type"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=opt["momentum"], weight_decay=opt["weight_decay"])
    if opt["type"] == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(opt["betas"]), weight_decay=opt["weight_decay"])
    raise ValueError(f"unknown optimizer {opt['type']!r}")


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, training: dict, seed: int,
        lr: float | None = None, desc: str | None = None,
        on_epoch: Callable[[int, nn.Module], None] | None = None) -> nn.Module:
    """Train ``model`` in place on ``(x, y)`` under ``training``; returns the model.

    ``y`` holds hard labels ``[N]`` or soft targets ``[N, classes]``; with soft
    targets ``training["soft_label"]`` says which loss (``microbatch.label_loss``).

    ``on_epoch(epoch, model)`` is called after every epoch (expert trajectories use it).
    """
    gen = make_generator(seed, x.device)
    start_lr = base_lr(training, lr)
    opt = build_optimizer(model.parameters(), training["optimizer"], start_lr)
    model.train()
    epochs = range(training["epochs"])
    for epoch in (progress(epochs, desc) if desc else epochs):
        for group in opt.param_groups:
            group["lr"] = start_lr * lr_factor(epoch, training["epochs"], training["schedule"])
        for idx in epoch_batches(len(x), training["batch"], gen):
            xb = apply_augmentation(x[idx], training["augment"], gen)
            opt.zero_grad(set_to_none=True)
            backward_mean_loss(model, xb, y[idx], training.get("soft_label"))
            opt.step()
        if on_epoch is not None:
            on_epoch(epoch, model)
    return model


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 2048) -> tuple[float, float]:
    """Test accuracy and mean cross-entropy of ``model`` on ``(x, y)``."""
    model.eval()
    correct, total_loss = 0, 0.0
    batch = min(batch, chunk_size(model, x))
    for i in range(0, len(x), batch):
        logits = model(x[i:i + batch])
        total_loss += F.cross_entropy(logits, y[i:i + batch], reduction="sum").item()
        correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return correct / len(x), total_loss / len(x)


def timed(fn, *args, **kwargs):
    """Call ``fn``; return its result and the wall seconds it took (CUDA synchronised)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start
