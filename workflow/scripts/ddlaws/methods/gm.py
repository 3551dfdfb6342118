"""Gradient matching (DC; DSA when the augmentation is DSA).

Each iteration starts from a freshly initialised network. For ``outer`` steps it
matches, class by class, the gradient of the loss on a real batch with the
gradient on that class's synthetic images (layer-wise sum of 1 - cos over output
channels; 1-D parameters count 0), updates the images, and trains the network
``inner`` steps on the synthetic set.

Per-class gradients come from one batched call, ``vmap(grad(loss))`` over the
class dimension (the real gradients need no graph). On the CPU a loop over
classes is faster (stacked weight gradients become grouped convolutions), so
``class_batching: auto`` picks vmap on CUDA and the loop on the CPU; both give
the same gradients.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..deferred import deferred
from .common import (Checkpointer, RealBatches, iteration_generator, iteration_seed, learnable_images, optimize,
                     pool_architecture, siamese_dsa)
from .registry import Job, method

if TYPE_CHECKING:
    from torch import nn

    from ..data.datasets import Split

torch = deferred("torch")
F = deferred("torch.nn.functional")
func = deferred("torch.func")
engine = deferred("ddlaws.train.engine")
microbatch = deferred("ddlaws.nn.microbatch")
models = deferred("ddlaws.nn.models")

# (outer, inner) by IPC, as published; other IPCs take the nearest entry on a log scale.
PUBLISHED_LOOPS = {1: (1, 1), 10: (10, 50), 20: (20, 25), 30: (30, 20), 40: (40, 15), 50: (50, 10)}


def loops_for(ipc: int, table: dict | None = None) -> tuple[int, int]:
    table = {int(k): tuple(v) for k, v in (table or PUBLISHED_LOOPS).items()}
    if ipc in table:
        return table[ipc]
    nearest = min(table, key=lambda k: (abs(math.log(k) - math.log(ipc)), k))
    return table[nearest]


def matching_distance(g_real: dict, g_syn: dict) -> torch.Tensor:
    """Σ over classes and layers of Σ over output channels (1 - cos); tensors are ``[C, ...]``."""
    total = 0.0
    for name, gr in g_real.items():
        if gr.dim() <= 2:  # [C, n]: a bias or a norm vector
            continue
        a, b = gr.flatten(2), g_syn[name].flatten(2)
        cos = (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1) + 1e-6)
        total = total + (1.0 - cos).sum()
    return total


def _class_loss(net: nn.Module, buffers: dict):
    def loss(params, x, y):
        return F.cross_entropy(func.functional_call(net, (params, buffers), (x,)), y)
    return loss


def class_gradients_vmap(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Per-class parameter gradients in one batched call: ``x`` is ``[C, n, ...]``."""
    params = {k: v.detach() for k, v in net.named_parameters()}
    return func.vmap(func.grad(_class_loss(net, dict(net.named_buffers()))), in_dims=(None, 0, 0))(params, x, y)


def class_gradients_loop(net: nn.Module, x: torch.Tensor, y: torch.Tensor, create_graph: bool) -> dict:
    """The same gradients, one class at a time (detached unless ``create_graph``)."""
    names, params = zip(*net.named_parameters())
    per_class = []
    with torch.enable_grad():
        for xc, yc in zip(x, y):
            grads = microbatch.grad_mean_ce(net, params, xc, yc, create_graph)
            per_class.append(grads if create_graph else [g.detach() for g in grads])
    return {n: torch.stack([g[i] for g in per_class]) for i, n in enumerate(names)}


def class_gradients(net: nn.Module, x: torch.Tensor, y: torch.Tensor, create_graph: bool, batching: str) -> dict:
    if batching == "vmap":
        return class_gradients_vmap(net, x, y)
    return class_gradients_loop(net, x, y, create_graph)


def resolve_batching(batching: str, device) -> str:
    if batching == "auto":
        return "vmap" if torch.device(device).type == "cuda" else "loop"
    return batching


def _calibrate_batch_norm(net: nn.Module, real: RealBatches, per_class: int, generator) -> None:
    """Feed a few real images per class in train mode, then freeze BatchNorm (published recipe)."""
    net.train()
    with torch.no_grad():
        net(real.draw(per_class, generator).flatten(0, 1))
    for module in models.batch_norm_layers(net):
        module.eval()


def work(p: dict, job: Job) -> tuple[float, float]:
    """Per outer step every class's real and synthetic gradient (the synthetic one
    differentiated again), then the inner network steps on the synthetic set."""
    outer, inner = loops_for(job.ipc, p.get("loops"))
    syn = job.classes * job.ipc
    matching = 3.0 * job.classes * p["batch_real"] + 6.0 * syn
    inner_passes = (outer - 1) * inner * 3.0 * syn
    steps = outer * job.classes + (outer - 1) * inner * math.ceil(syn / p["batch_train"])
    return p["iterations"] * (outer * matching + inner_passes) * job.image_flops, p["iterations"] * steps


def batch(p: dict, job: Job) -> int:
    return p["batch_real"]


@method("gm", work=work, batch=batch, pooled=True)
def distill_gm(split: Split, ipc: int, seed: int, params: dict, checkpointer: Checkpointer | None = None) -> dict:
    p = params
    device = split.x_train.device
    images, labels, opt_img = learnable_images(split, ipc, p["init"], seed, p["lr_img"], p["momentum_img"])
    outer, inner = loops_for(ipc, p.get("loops"))
    real = RealBatches(split)
    classes = split.num_classes
    channels, size = split.image_shape[0], split.image_shape[-1]
    aug = p["augment_spec"]
    use_dsa = aug["type"] == "dsa"
    batching = resolve_batching(p["class_batching"], device)
    y_real = torch.arange(classes, device=device)[:, None]
    y_syn = labels.view(classes, ipc)
    inner_cfg = {"optimizer": {"type": "sgd", "lr": p["lr_net"], "momentum": 0.0, "weight_decay": 0.0},
                 "epochs": inner, "batch": p["batch_train"], "schedule": "none", "augment": aug}

    def step(it: int) -> float:
        gen = iteration_generator(seed, it, device)
        net = models.init_model(pool_architecture(p, seed, it)[1], channels, classes, size, iteration_seed(seed, it),
                                device)
        bn = models.has_batch_norm(net)
        total = 0.0
        for ol in range(outer):
            if bn:
                _calibrate_batch_norm(net, real, p["bn_images_per_class"], gen)
            x_real = real.draw(p["batch_real"], gen)
            x_syn = images.view(classes, ipc, *images.shape[1:])
            if use_dsa:
                x_real, x_syn = siamese_dsa(aug, gen, size, x_real, x_syn)
            with torch.no_grad():
                g_real = class_gradients(net, x_real, y_real.expand(-1, x_real.shape[1]), False, batching)
            g_syn = class_gradients(net, x_syn, y_syn, True, batching)
            loss = matching_distance(g_real, g_syn)
            opt_img.zero_grad(set_to_none=True)
            loss.backward()
            opt_img.step()
            total += loss.item()
            if ol == outer - 1:
                break
            net.train()
            engine.fit(net, images.detach(), labels, inner_cfg, iteration_seed(seed, it) + ol)
        return total / outer

    curve = optimize("gm", step, {"images": images}, {"images": opt_img}, p["iterations"], checkpointer)
    return {"images": images.detach(), "labels": labels, "lr": None, "loss_curve": curve}
