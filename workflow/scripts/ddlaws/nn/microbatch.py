"""Cache-sized chunks for large convolutional batches on the CPU.

On a CPU the memory-bound layers of a wide network (norm, activation, pooling)
run far faster when a batch goes through in chunks whose largest activation
fits in cache, while the convolutions lose little. Instance, group and layer
norm act per sample, so a chunked forward computes the same function and the
summed chunk gradients equal the batch gradient. BatchNorm networks are never
chunked (their statistics span the batch), and nothing is chunked on CUDA,
where one large batch is fastest.
"""

from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F
from torch import nn

from .models import has_batch_norm

CACHE_BYTES = 8 * 2**20
_activation_bytes: "weakref.WeakKeyDictionary[nn.Module, dict]" = weakref.WeakKeyDictionary()


def _largest_activation(model: nn.Module, shape: tuple) -> int:
    """Bytes of the largest module output for one image of ``shape``."""
    cache = _activation_bytes.setdefault(model, {})
    if shape not in cache:
        sizes = []
        hooks = [m.register_forward_hook(lambda _m, _i, out: sizes.append(out.numel() // 2))
                 for m in model.modules() if not list(m.children())]
        was_training = model.training
        model.eval()
        with torch.no_grad():
            param = next(model.parameters())
            model(torch.zeros(2, *shape, device=param.device, dtype=param.dtype))
        model.train(was_training)
        for h in hooks:
            h.remove()
        cache[shape] = max(sizes) * 4
    return cache[shape]


def chunk_size(model: nn.Module, x: torch.Tensor) -> int:
    """Images per chunk for ``x`` through ``model``: the whole batch on CUDA or with BatchNorm."""
    if x.device.type != "cpu" or has_batch_norm(model) or len(x) <= 1:
        return max(1, len(x))
    return max(1, min(len(x), CACHE_BYTES // _largest_activation(model, tuple(x.shape[1:]))))


def chunked(fn, model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``fn(x)`` computed chunk by chunk and concatenated (``fn`` acts per sample)."""
    size = chunk_size(model, x)
    if size >= len(x):
        return fn(x)
    return torch.cat([fn(part) for part in x.split(size)])


def soft_targets(probabilities: torch.Tensor, soft: dict) -> torch.Tensor:
    """The targets a soft-label set trains against: its probabilities for the ``ce``
    loss, or for ``kl`` the probabilities at temperature T, softmax(log p / T),
    which equals softmax(logits / T) for the logits the probabilities came from."""
    if soft["loss"] == "ce":
        return probabilities
    return torch.softmax(torch.log(probabilities) / float(soft["temperature"]), dim=-1)


def label_loss(logits: torch.Tensor, y: torch.Tensor, soft: dict | None = None,
               reduction: str = "mean") -> torch.Tensor:
    """The training loss against hard labels ``[N]`` or soft targets ``[N, classes]``.

    Hard labels take the cross-entropy. Soft targets (``soft_targets``) take
    the loss ``soft`` names: ``ce``, the cross-entropy against the
    probabilities (with one-hot targets exactly the hard loss), or ``kl``, the
    distillation loss T²·KL(targets ‖ softmax(logits/T)), whose targets were
    already raised to the temperature T.
    """
    if y.dim() == 1 or soft is None or soft["loss"] == "ce":
        return F.cross_entropy(logits, y, reduction=reduction)
    t = float(soft["temperature"])
    kl = F.kl_div(F.log_softmax(logits / t, dim=-1), y, reduction="sum") * t * t
    return kl / len(y) if reduction == "mean" else kl


def backward_mean_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, soft: dict | None = None) -> float:
    """Accumulate into ``.grad`` the gradient of the mean loss over ``(x, y)`` (``label_loss``); return the loss."""
    size = chunk_size(model, x)
    total = 0.0
    for xs, ys in zip(x.split(size), y.split(size)):
        loss = label_loss(model(xs), ys, soft, reduction="sum") / len(x)
        loss.backward()
        total += loss.item()
    return total


def grad_mean_ce(model: nn.Module, params: tuple, x: torch.Tensor, y: torch.Tensor,
                 create_graph: bool = False) -> tuple:
    """``torch.autograd.grad`` of the mean cross-entropy over ``(x, y)``, summed over chunks."""
    size = chunk_size(model, x)
    total = None
    for xs, ys in zip(x.split(size), y.split(size)):
        loss = F.cross_entropy(model(xs), ys, reduction="sum") / len(x)
        grads = torch.autograd.grad(loss, params, create_graph=create_graph)
        total = grads if total is None else tuple(a + b for a, b in zip(total, grads))
    return total
