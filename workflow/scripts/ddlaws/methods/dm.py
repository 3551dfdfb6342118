"""Distribution matching: match the mean embedding of real and synthetic images,
class by class, under a freshly initialised, frozen network at every iteration.

All classes go through one forward pass (the real ones without a graph), and
the loss Σ_c ||mean embed(real_c) - mean embed(syn_c)||² is reduced at once.
BatchNorm networks embed each class separately, as batch statistics would
otherwise mix classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..deferred import deferred
from .common import (Checkpointer, RealBatches, iteration_generator, iteration_seed, learnable_images, optimize,
                     pool_architecture, siamese_dsa)
from .registry import Job, method

if TYPE_CHECKING:
    from ..data.datasets import Split

torch = deferred("torch")
microbatch = deferred("ddlaws.nn.microbatch")
models = deferred("ddlaws.nn.models")


def class_mean_embeddings(net, x: torch.Tensor, per_class: bool) -> torch.Tensor:
    """``x`` is ``[C, n, ...]``; returns ``[C, D]``."""
    if per_class:
        return torch.stack([net.embed(xc).mean(0) for xc in x])
    c, n = x.shape[:2]
    return microbatch.chunked(net.embed, net, x.flatten(0, 1)).view(c, n, -1).mean(1)


def work(p: dict, job: Job) -> tuple[float, float]:
    """Per iteration: the real batch of every class forward, the synthetic set forward and back."""
    passes = job.classes * p["batch_real"] + 3.0 * job.classes * job.ipc
    return p["iterations"] * passes * job.image_flops, p["iterations"]


def batch(p: dict, job: Job) -> int:
    return job.classes * p["batch_real"]


@method("dm", work=work, batch=batch, pooled=True)
def distill_dm(split: Split, ipc: int, seed: int, params: dict, checkpointer: Checkpointer | None = None) -> dict:
    p = params
    device = split.x_train.device
    images, labels, opt_img = learnable_images(split, ipc, p["init"], seed, p["lr_img"], p["momentum_img"])
    real = RealBatches(split)
    classes = split.num_classes
    channels, size = split.image_shape[0], split.image_shape[-1]
    aug = p["augment_spec"]

    def step(it: int) -> float:
        gen = iteration_generator(seed, it, device)
        net = models.init_model(pool_architecture(p, seed, it)[1], channels, classes, size, iteration_seed(seed, it),
                                device)
        net.train()
        for q in net.parameters():
            q.requires_grad_(False)
        per_class = models.has_batch_norm(net)
        x_real = real.draw(p["batch_real"], gen)
        x_syn = images.view(classes, ipc, *images.shape[1:])
        if aug["type"] == "dsa":
            x_real, x_syn = siamese_dsa(aug, gen, size, x_real, x_syn)
        with torch.no_grad():
            mean_real = class_mean_embeddings(net, x_real, per_class)
        mean_syn = class_mean_embeddings(net, x_syn, per_class)
        loss = ((mean_real - mean_syn) ** 2).sum()
        opt_img.zero_grad(set_to_none=True)
        loss.backward()
        opt_img.step()
        return loss.item()

    curve = optimize("dm", step, {"images": images}, {"images": opt_img}, p["iterations"], checkpointer)
    return {"images": images.detach(), "labels": labels, "lr": None, "loss_curve": curve}
