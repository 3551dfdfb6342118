"""Matching training trajectories (MTT), with the learned lr kept.

Each iteration takes a random expert and a random start epoch t < T+, starts a
student at the expert's epoch-t weights, unrolls N SGD steps on synthetic
minibatches with a *learned* lr, and scores the normalised distance
||θ_N − θ*_{t+M}||² / ||θ*_t − θ*_{t+M}||². Images and lr have their own SGD
optimizers. The learned lr is saved with the images: evaluation trains with it.

With ``soft_labels`` the labels are learned too, as DATM does: logits that
start as the first expert's final predictions on the initial images, whose
softmax the student trains against, moved through the unroll by their own SGD.
The set then carries them as probabilities, and evaluation trains with the
soft-label loss.

Two exact ways to differentiate the unroll:
* ``plain`` keeps the graph of all N steps (memory grows with N);
* ``lean`` runs the unroll without a graph, keeping only the parameter vector at
  every ⌈√N⌉-th step, then walks back segment by segment: it recomputes a
  segment's parameters, rebuilds one step's graph at a time and pulls the
  adjoint through it. Peak memory is one step's graph plus O(√N) parameter
  vectors, flat in N for any real network, at about 1.5x the compute.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from ..deferred import deferred
from ..plan import configs
from .common import Checkpointer, iteration_generator, learnable_images, optimize
from .registry import Job, method

if TYPE_CHECKING:
    from ..data.datasets import Split

torch = deferred("torch")
F = deferred("torch.nn.functional")
func = deferred("torch.func")
dsa = deferred("ddlaws.data.dsa")
experts_module = deferred("ddlaws.train.experts")
microbatch = deferred("ddlaws.nn.microbatch")
models = deferred("ddlaws.nn.models")


class Student:
    """A network evaluated at a flat parameter vector."""

    def __init__(self, net):
        if models.has_batch_norm(net):
            raise ValueError("trajectory matching needs a network without BatchNorm (its statistics are state)")
        self.net = net
        self.names = [n for n, _ in net.named_parameters()]
        self.shapes = [p.shape for _, p in net.named_parameters()]
        self.sizes = [p.numel() for _, p in net.named_parameters()]

    def logits(self, theta: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        params = {n: t.view(s) for n, t, s in zip(self.names, theta.split(self.sizes), self.shapes)}
        return microbatch.chunked(lambda part: func.functional_call(self.net, params, (part,)), self.net, x)

    def gradient(self, theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor, create_graph: bool) -> torch.Tensor:
        loss = F.cross_entropy(self.logits(theta, x), y)
        return torch.autograd.grad(loss, theta, create_graph=create_graph)[0]


def step_inputs(images: torch.Tensor, plan: tuple, aug: dict) -> torch.Tensor:
    """The (augmented) synthetic minibatch of one student step."""
    idx, draw = plan
    x = images[idx]
    return dsa.apply(x, draw) if draw is not None else x


def unroll_plain(student: Student, theta0, target, images, labels, lr, plans, aug) -> torch.Tensor:
    """The normalised trajectory loss with the graph of every step kept (``labels``: class indices, or
    probabilities with the graph to learned logits)."""
    theta = theta0.detach().requires_grad_(True)
    start = theta
    for plan in plans:
        g = student.gradient(theta, step_inputs(images, plan, aug), labels[plan[0]], create_graph=True)
        theta = theta - lr * g
    return (theta - target).square().sum() / (start.detach() - target).square().sum()


def unroll_lean(student: Student, theta0, target, images, labels, lr, plans, aug) -> torch.Tensor:
    """The same loss; accumulates d loss / d images and d loss / d lr into ``.grad`` itself, and with
    learned soft labels (``labels`` requiring grad) d loss / d logits into theirs.

    Returns the loss value (detached): the caller must not call backward on it.
    """
    n = len(plans)
    seg = max(1, math.ceil(math.sqrt(n)))
    lr_value = lr.detach()
    learned_labels = labels.requires_grad
    fixed_labels = labels.detach()
    d_labels = torch.zeros_like(fixed_labels) if learned_labels else None

    def advance(theta, i):
        with torch.enable_grad():
            theta = theta.detach().requires_grad_(True)
            g = student.gradient(theta, step_inputs(images.detach(), plans[i], aug), fixed_labels[plans[i][0]],
                                 False)
        return (theta - lr_value * g).detach()

    boundaries = {0: theta0.detach()}
    theta = theta0.detach()
    for i in range(n):
        theta = advance(theta, i)
        if (i + 1) % seg == 0 and i + 1 < n:
            boundaries[i + 1] = theta
    norm = (theta0 - target).square().sum()
    loss = (theta - target).square().sum() / norm
    adjoint = 2.0 * (theta - target) / norm
    for begin in sorted(boundaries, reverse=True):
        thetas = [boundaries[begin]]
        for i in range(begin, min(begin + seg, n) - 1):
            thetas.append(advance(thetas[-1], i))
        for offset in reversed(range(len(thetas))):
            i = begin + offset
            with torch.enable_grad():
                theta_i = thetas[offset].detach().requires_grad_(True)
                g = student.gradient(theta_i, step_inputs(images, plans[i], aug), labels[plans[i][0]], True)
                theta_next = theta_i - lr * g
                wrt = (theta_i, images, lr) + ((labels,) if learned_labels else ())
                d_theta, d_images, d_lr, *d_step_labels = torch.autograd.grad(theta_next, wrt, adjoint)
            images.grad = d_images if images.grad is None else images.grad + d_images
            lr.grad = d_lr if lr.grad is None else lr.grad + d_lr
            if learned_labels:
                d_labels += d_step_labels[0]
            adjoint = d_theta
    if learned_labels:
        labels.backward(d_labels)  # through the softmax, into the logits
    return loss.detach()


def work(p: dict, job: Job) -> tuple[float, float]:
    """Per student step a minibatch forward and back, differentiated again through the unroll."""
    syn = job.classes * job.ipc
    per_step = min(syn, p.get("batch_syn") or syn)
    return p["iterations"] * p["syn_steps"] * 9.0 * per_step * job.image_flops, p["iterations"] * p["syn_steps"]


def batch(p: dict, job: Job) -> int:
    """The plain unroll keeps every step's graph; the lean one a single step's."""
    return job.classes * job.ipc * (p["syn_steps"] if p["memory"] == "plain" else 1)


def check_trajectory_spans(config: dict, name: str) -> None:
    """Every setting's target epoch (start < max_start_epoch, plus expert_epochs) of MTT, or of
    its variant ``name``, must lie within the experts' trajectories; said at parse time, not
    after the experts ran."""
    epochs = configs.expert_training(config)["epochs"]
    where = "mtt" if name == "mtt" else f"variants.{name}.set"
    for dataset in config["datasets"]:
        for ipc in config["ipcs"]:
            p = configs.method_params(config, name, dataset, ipc)
            if p["max_start_epoch"] - 1 + p["expert_epochs"] > epochs:
                raise configs.ConfigError(
                    f"config keys '{where}.max_start_epoch' and '{where}.expert_epochs' ({dataset}, ipc {ipc}): start "
                    f"epochs up to {p['max_start_epoch'] - 1} plus {p['expert_epochs']} exceed the {epochs} "
                    "epochs of 'experts.training.epochs'")


def expert_students(bank, p: dict, channels: int, classes: int, size: int, device) -> list[Student]:
    """The student of every expert: a network of the expert's own architecture, one per architecture.

    A plain run's experts must have been trained with ``mtt.arch``; a pool
    variant's experts come in the pool's architectures, and each iteration
    unrolls the student of the expert it drew.
    """
    students, out = {}, []
    for record in bank.records:
        spec = record["training"]["arch"]
        if "pool" not in p and spec != p["arch_spec"]:
            raise ValueError("mtt: the experts were trained with another architecture than mtt.arch")
        key = json.dumps(spec, sort_keys=True)
        if key not in students:
            students[key] = Student(models.init_model(spec, channels, classes, size, 0, device))
        if students[key].sizes and sum(students[key].sizes) != record["num_params"]:
            raise ValueError(f"mtt: an expert has {record['num_params']} parameters, its architecture "
                             f"{sum(students[key].sizes)}")
        out.append(students[key])
    return out


@method("mtt", work=work, batch=batch, inputs=("experts",), check=check_trajectory_spans, pooled=True)
def distill_mtt(split: Split, ipc: int, seed: int, params: dict, checkpointer: Checkpointer | None = None,
                experts=()) -> dict:
    p = params
    device = split.x_train.device
    bank = experts_module.ExpertBank(experts)
    n_steps, span, max_start = int(p["syn_steps"]), int(p["expert_epochs"]), int(p["max_start_epoch"])
    if max_start - 1 + span > bank.epochs:  # start epochs are drawn from 0 .. max_start - 1
        raise ValueError(f"mtt: the last start epoch {max_start - 1} + expert_epochs {span} exceeds the "
                         f"{bank.epochs} epochs the experts were trained for")
    channels, size = split.image_shape[0], split.image_shape[-1]
    students = expert_students(bank, p, channels, split.num_classes, size, device)
    images, labels, opt_img = learnable_images(split, ipc, p["init"], seed, p["lr_img"], p["momentum"])
    lr = torch.tensor(float(p["lr_teacher"]), device=device, requires_grad=True)
    opt_lr = torch.optim.SGD([lr], lr=p["lr_lr"], momentum=p["momentum"])
    tensors, optimizers = {"images": images, "lr": lr}, {"images": opt_img, "lr": opt_lr}
    if p["soft_labels"]:
        with torch.no_grad():
            final = bank.segment(0, bank.epochs, bank.epochs, device)[1]
            label_logits = students[0].logits(final, images).detach().requires_grad_(True)
        tensors["label_logits"] = label_logits
        optimizers["label_logits"] = torch.optim.SGD([label_logits], lr=p["lr_label"], momentum=p["momentum"])
    aug = p["augment_spec"]
    batch = len(images) if not p.get("batch_syn") else min(int(p["batch_syn"]), len(images))
    lean = p["memory"] == "lean"
    lr_ceiling = float(p["lr_teacher"]) * float(p["lr_guard_factor"])

    def step(it: int) -> float:
        gen = iteration_generator(seed, it, device)
        expert = int(torch.randint(len(bank), (1,), generator=gen, device=device))
        start = int(torch.randint(max_start, (1,), generator=gen, device=device))
        theta0, target = bank.segment(expert, start, start + span, device)
        student = students[expert]
        plans = []
        for _ in range(n_steps):
            idx = torch.randperm(len(images), generator=gen, device=device)[:batch]
            draw = dsa.draw(aug, batch, size, gen) if aug["type"] == "dsa" else None
            plans.append((idx, draw))
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        targets = torch.softmax(tensors["label_logits"], 1) if "label_logits" in tensors else labels
        if lean:
            loss = unroll_lean(student, theta0, target, images, targets, lr, plans, aug)
        else:
            loss = unroll_plain(student, theta0, target, images, targets, lr, plans, aug)
            loss.backward()
        for opt in optimizers.values():
            opt.step()
        return loss.item()

    def check_lr(it: int) -> None:
        value = lr.item()
        if not math.isfinite(value) or value <= 0 or value > lr_ceiling:
            raise FloatingPointError(f"mtt: the learned lr became {value:.4g} at iteration {it} (allowed: "
                                     f"0 < lr <= {lr_ceiling:g}); lower mtt.lr_lr; no result was written")

    curve = optimize("mtt", step, tensors, optimizers, p["iterations"], checkpointer, extra_check=check_lr)
    result = {"images": images.detach(), "labels": labels, "lr": lr.item(), "loss_curve": curve}
    if "label_logits" in tensors:
        result["soft_labels"] = torch.softmax(tensors["label_logits"].detach(), 1)
    return result
