"""Training many small models at once, and the dispatcher the evaluation uses.

Distilled sets are tiny, so one model at a time leaves a GPU idle. Models that
share an architecture, epoch count and batch size are trained together: their
parameters are stacked and stepped with ``torch.func`` (``functional_call`` +
``vmap``), each with its own seed, optimizer, lr, weight decay, schedule and
augmentation. Every random draw happens outside ``vmap`` from each model's own
generator, in the same order as ``train.fit``, so a vectorised run reproduces
the one-at-a-time run up to floating-point reassociation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, vmap

from ..data.augment import apply_augmentation
from ..nn.flops import count_flops
from ..nn.microbatch import label_loss
from ..nn.models import has_batch_norm, init_model
from ..plan.budget import check_epoch, check_windows
from ..plan.options import optimizer_spec
from ..runtime import progress
from .engine import base_lr, epoch_batches, evaluate, fit, lr_factor, make_generator, timed

# On the CPU, stacked (grouped) convolutions only beat one model at a time while
# the per-model minibatch and the network are small (benchmarks/train_many.py,
# 16 models: the digits ConvNet-32-2 at 0.3 MFLOP per image trains 4.3x faster
# stacked at IPC 1, 1.6x at IPC 10 (batch 100) and 1.0x at IPC 50 (batch 256);
# ConvNet-128-3 on 28 px, 97 MFLOP per image, 1.1x at IPC 1 and 0.7x at IPC 10).
CPU_VECTORIZE_MAX_BATCH = 128
CPU_VECTORIZE_MAX_FLOPS = 1e7


@dataclass(frozen=True)
class Run:
    """One model to train: a resolved training config, a seed, an optional lr override."""

    training: dict
    seed: int
    lr: float | None = None

    @property
    def group_key(self) -> str:
        return json.dumps([self.training["arch"], self.training["epochs"], self.training["batch"],
                           self.training.get("soft_label")], sort_keys=True)


def _bcast(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return values.view(-1, *([1] * (like.dim() - 1)))


class StackedOptimizer:
    """SGD (momentum, L2) or Adam (L2) over a contiguous slice of stacked parameters,
    with the update rules of torch.optim.SGD / torch.optim.Adam."""

    def __init__(self, kind: str, params: dict, lo: int, hi: int, opts: list[dict], device):
        self.kind, self.lo, self.hi = kind, lo, hi
        opts = [optimizer_spec(o) for o in opts]
        self.wd = torch.tensor([o["weight_decay"] for o in opts], device=device)
        self.state = {n: torch.zeros_like(p[lo:hi]) for n, p in params.items()}
        if kind == "sgd":
            self.momentum = torch.tensor([o["momentum"] for o in opts], device=device)
        else:
            betas = [o["betas"] for o in opts]
            self.b1 = torch.tensor([b[0] for b in betas], device=device)
            self.b2 = torch.tensor([b[1] for b in betas], device=device)
            self.sq = {n: torch.zeros_like(p[lo:hi]) for n, p in params.items()}
            self.t = 0

    @torch.no_grad()
    def step(self, params: dict, grads: dict, lr: torch.Tensor) -> None:
        lr = lr[self.lo:self.hi]
        if self.kind == "adam":
            self.t += 1
            bc1 = 1 - self.b1 ** self.t
            bc2 = 1 - self.b2 ** self.t
        for name, p_all in params.items():
            p, g = p_all[self.lo:self.hi], grads[name][self.lo:self.hi]
            d = g + _bcast(self.wd, p) * p
            m = self.state[name]
            if self.kind == "sgd":
                m.mul_(_bcast(self.momentum, m)).add_(d)
                p.sub_(_bcast(lr, p) * m)
            else:
                b1, b2 = _bcast(self.b1, m), _bcast(self.b2, m)
                m.mul_(b1).add_((1 - b1) * d)
                v = self.sq[name]
                v.mul_(b2).add_((1 - b2) * d * d)
                denom = v.sqrt() / _bcast(bc2.sqrt(), v) + 1e-8
                p.sub_(_bcast(lr / bc1, p) * m / denom)


def fit_many(runs: list[Run], x: torch.Tensor, y: torch.Tensor, num_classes: int,
             desc: str | None = None,
             on_epoch: Callable[[int, nn.Module, dict], None] | None = None) -> tuple[nn.Module, dict]:
    """Train ``runs`` (same arch, epochs, batch; sorted by optimizer type) together.

    Returns the template module and the stacked trained parameters ``{name: [K, ...]}``.
    ``on_epoch(epoch, template, params)`` is called after every epoch, as ``train.fit``'s hook.
    """
    cfg0 = runs[0].training
    channels, im_size = x.shape[1], x.shape[-1]
    models = [init_model(r.training["arch"], channels, num_classes, im_size, r.seed, x.device) for r in runs]
    template = models[0]
    if has_batch_norm(template):
        raise ValueError("fit_many does not train BatchNorm networks (running statistics); use train.fit")
    params = {n: torch.stack([dict(m.named_parameters())[n].detach() for m in models]) for n, _ in
              template.named_parameters()}
    buffers = dict(template.named_buffers())

    soft = cfg0.get("soft_label")

    def loss_fn(p, xb, yb):
        return label_loss(functional_call(template, (p, buffers), (xb,)), yb, soft)

    grad_fn = vmap(grad(loss_fn))
    kinds = [r.training["optimizer"]["type"] for r in runs]
    optimizers = []
    lo = 0
    while lo < len(runs):
        hi = lo
        while hi < len(runs) and kinds[hi] == kinds[lo]:
            hi += 1
        optimizers.append(StackedOptimizer(kinds[lo], params, lo, hi, [r.training["optimizer"] for r in runs[lo:hi]],
                                           x.device))
        lo = hi
    if len(optimizers) != len(set(kinds)):
        raise ValueError("fit_many needs runs sorted by optimizer type")
    gens = [make_generator(r.seed, x.device) for r in runs]
    lrs = torch.tensor([base_lr(r.training, r.lr) for r in runs], device=x.device)
    epochs = cfg0["epochs"]
    for epoch in (progress(range(epochs), desc) if desc else range(epochs)):
        factors = torch.tensor([lr_factor(epoch, epochs, r.training["schedule"]) for r in runs], device=x.device)
        plans = [epoch_batches(len(x), cfg0["batch"], g) for g in gens]
        for step in range(len(plans[0])):
            xb = torch.stack([apply_augmentation(x[plan[step]], r.training["augment"], g)
                              for plan, r, g in zip(plans, runs, gens)])
            yb = torch.stack([y[plan[step]] for plan in plans])
            grads = grad_fn(params, xb, yb)
            for opt in optimizers:
                opt.step(params, grads, lrs * factors)
        if on_epoch is not None:
            on_epoch(epoch, template, params)
    return template, params


@torch.no_grad()
def evaluate_many(template: nn.Module, params: dict, x: torch.Tensor, y: torch.Tensor,
                  batch: int = 2048, stacked: bool | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Test accuracy and mean loss of each stacked model, shape [K].

    On the CPU a stacked forward over a large test batch is several times slower
    than one model at a time in cache-sized chunks (benchmarks/train_many.py), so
    there (``stacked`` None or False) each model's parameters are loaded into the
    template in turn.
    """
    if not (x.device.type == "cuda" if stacked is None else stacked):
        scores = []
        for j in range(next(iter(params.values())).shape[0]):
            for name, tensor in template.named_parameters():
                tensor.copy_(params[name][j])
            scores.append(evaluate(template, x, y, batch))
        return torch.tensor([acc for acc, _ in scores]), torch.tensor([loss for _, loss in scores])
    template.eval()
    buffers = dict(template.named_buffers())
    forward = vmap(lambda p, xb: functional_call(template, (p, buffers), (xb,)), in_dims=(0, None))
    k = next(iter(params.values())).shape[0]
    chunk = max(1, batch // k)
    correct = torch.zeros(k, device=x.device)
    loss = torch.zeros(k, device=x.device)
    for i in range(0, len(x), chunk):
        logits = forward(params, x[i:i + chunk])  # [K, b, classes]
        yb = y[i:i + chunk].expand(k, -1)
        loss += F.cross_entropy(logits.transpose(1, 2), yb, reduction="none").sum(1)
        correct += (logits.argmax(-1) == yb).sum(1)
    template.train()
    return correct / len(x), loss / len(x)


class CheckReadings:
    """The test accuracies of a group's runs over the two windows of the convergence check (``check_windows``)."""

    def __init__(self, epochs: int, runs: int):
        self.check = check_epoch(epochs)
        self.early, self.late = check_windows(epochs)
        self.sums = {"check_test_acc": torch.zeros(runs, dtype=torch.float64),
                     "end_test_acc": torch.zeros(runs, dtype=torch.float64)}

    def wanted(self, epoch: int) -> bool:
        """Whether the check reads the test accuracy after ``epoch`` (0-based, as the trainers' hooks count)."""
        return epoch + 1 in self.early or epoch + 1 in self.late

    def add(self, epoch: int, acc, run: int | None = None) -> None:
        """Add one reading: of every run (``acc`` [runs]) or of run ``run`` alone."""
        name = "check_test_acc" if epoch + 1 in self.early else "end_test_acc"
        where = slice(None) if run is None else run
        self.sums[name][where] += torch.as_tensor(acc, dtype=torch.float64)

    def of(self, run: int) -> dict:
        """Run ``run``'s window means (NaN where the check cannot be made) and the epoch that ends the first."""
        width = len(self.early)
        means = {name: total[run].item() / width if width else math.nan for name, total in self.sums.items()}
        return {"check_epoch": self.check, **means}


def forward_flops(model: nn.Module, x: torch.Tensor) -> int:
    """FLOPs of one image through ``model`` (torch's counter; eval mode, so BatchNorm takes one image)."""
    model.eval()
    with torch.no_grad():
        return count_flops(lambda: model(x[:1]))


def should_vectorize(mode: str, runs: list[Run], x: torch.Tensor, probe: nn.Module) -> bool:
    if mode == "never" or len(runs) < 2:
        return False
    if mode == "always" or x.device.type == "cuda":
        return True
    return (min(runs[0].training["batch"], len(x)) <= CPU_VECTORIZE_MAX_BATCH
            and forward_flops(probe, x) <= CPU_VECTORIZE_MAX_FLOPS)


def train_runs(runs: list[Run], x: torch.Tensor, y: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor,
               num_classes: int, vectorize: str = "auto", test_batch: int = 2048,
               desc: str = "train") -> list[dict]:
    """Train and test every run; one result dict per run, in the order given.

    Runs are grouped by (architecture, epochs, batch); a group trains stacked when
    ``vectorize`` allows it and its network has no BatchNorm, else one by one.
    ``train_time`` is wall seconds per model (a group's time shared equally).

    Every run's test accuracy is also read over two windows of epochs, one
    ending at three quarters of its epochs and one at its end
    (``check_test_acc`` and ``end_test_acc``, their means; NaN for a one-epoch
    run), so that the tables job can tell a model still improving at its end
    from a converged one. The readings never pick the model: the result is
    always the last epoch's.
    """
    results: list[dict | None] = [None] * len(runs)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(runs):
        groups.setdefault(r.group_key, []).append(i)
    channels, im_size = x.shape[1], x.shape[-1]
    for key, members in groups.items():
        members.sort(key=lambda i: runs[i].training["optimizer"]["type"])
        group = [runs[i] for i in members]
        probe = init_model(group[0].training["arch"], channels, num_classes, im_size, 0)
        label = f"{desc} {group[0].training['arch_name']} x{len(group)}"
        readings = CheckReadings(group[0].training["epochs"], len(group))
        if not has_batch_norm(probe) and should_vectorize(vectorize, group, x, probe):

            def read_many(epoch, template, params):
                if readings.wanted(epoch):
                    readings.add(epoch, evaluate_many(template, params, x_test, y_test, test_batch)[0].cpu())

            (template, params), seconds = timed(fit_many, group, x, y, num_classes, desc=label, on_epoch=read_many)
            acc, loss = evaluate_many(template, params, x_test, y_test, test_batch)
            for j, i in enumerate(members):
                results[i] = {"test_acc": acc[j].item(), "test_loss": loss[j].item(), **readings.of(j),
                              "train_time": seconds / len(group), "vectorized": True}
            continue
        for j, (i, r) in enumerate(zip(members, group)):
            model = init_model(r.training["arch"], channels, num_classes, im_size, r.seed, x.device)
            label = f"{desc} {r.training['name']} seed {r.seed}"

            def read(epoch, net, j=j):
                if readings.wanted(epoch):
                    readings.add(epoch, evaluate(net, x_test, y_test, test_batch)[0], j)

            _, seconds = timed(fit, model, x, y, r.training, r.seed, r.lr, desc=label, on_epoch=read)
            acc, loss = evaluate(model, x_test, y_test, test_batch)
            results[i] = {"test_acc": acc, "test_loss": loss, **readings.of(j), "train_time": seconds,
                          "vectorized": False}
    return results
