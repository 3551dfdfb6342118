"""What the iterative methods share: real batches per class, the synthetic init,
per-iteration seeds, and the optimisation loop with its guards and checkpoints.

Every iteration draws its randomness (fresh network, real batches, DSA) from a
generator seeded by (seed, iteration), so a run resumed from a checkpoint
continues exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..atomic import DamagedFile, load_tensors, save_tensors
from ..deferred import deferred
from ..runtime import log, progress
from .random_subset import class_indices, sample_per_class

if TYPE_CHECKING:
    from ..data.datasets import Split

torch = deferred("torch")
dsa = deferred("ddlaws.data.dsa")
engine = deferred("ddlaws.train.engine")


def iteration_seed(seed: int, iteration: int) -> int:
    return int(seed) * 1_000_003 + int(iteration) + 1


def pool_architecture(p: dict, seed: int, iteration: int) -> tuple[str | None, dict]:
    """(name, spec) of the network iteration ``iteration`` distils against: the method's own
    (name None), or one drawn uniformly from its pool (``pool_arch_specs``).

    The draw has a generator of its own, seeded by (seed, iteration): the
    iteration's other draws stay those of the plain method, a resumed run draws
    the same network, and a pool of one is the plain method with that network.
    """
    specs = p.get("pool_arch_specs")
    if not specs:
        return None, p["arch_spec"]
    names = list(specs)
    name = names[random.Random(f"pool/{seed}/{iteration}").randrange(len(names))] if len(names) > 1 else names[0]
    return name, specs[name]


def iteration_generator(seed: int, iteration: int, device) -> torch.Generator:
    """The generator of one iteration's draws: resumed runs draw the same."""
    return engine.make_generator(iteration_seed(seed, iteration), device)


def siamese_dsa(aug: dict, generator: torch.Generator, size: int, x_real: torch.Tensor,
                x_syn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Siamese DSA of ``[C, n, ...]`` batches: one draw per class, applied alike to
    that class's real and synthetic images, so that matching compares like with like."""
    draws = [dsa.siamese(aug, generator, size) for _ in range(len(x_real))]
    return (torch.stack([dsa.apply(xc, d) for xc, d in zip(x_real, draws)]),
            torch.stack([dsa.apply(xc, d) for xc, d in zip(x_syn, draws)]))


class RealBatches:
    """Per-class index lists of the training set, for drawing real batches."""

    def __init__(self, split: Split):
        self.split = split
        self.indices = [i.to(split.x_train.device) for i in class_indices(split.y_train.cpu(), split.num_classes)]
        self.smallest = min(len(i) for i in self.indices)

    def draw(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``[C, n', ...]`` real images, n' = min(n, smallest class), distinct within a class."""
        n = min(n, self.smallest)
        picks = []
        for idx in self.indices:
            order = torch.randperm(len(idx), generator=generator, device=generator.device)[:n]
            picks.append(idx[order.to(idx.device)])
        return self.split.x_train[torch.stack(picks)]


def synthetic_init(split: Split, ipc: int, init: str, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Initial synthetic images (``real``: a random real sample; ``noise``: N(0, 1) in
    normalised space) and their labels, ordered by class."""
    gen = torch.Generator().manual_seed(int(seed))
    images, labels = sample_per_class(split, ipc, gen)
    if init == "noise":
        images = torch.randn(images.shape, generator=gen).to(images.device)
    elif init != "real":
        raise ValueError(f"unknown init {init!r}; choose 'real' or 'noise'")
    return images.detach().clone(), labels


def learnable_images(split: Split, ipc: int, init: str, seed: int, lr: float,
                     momentum: float) -> tuple[torch.Tensor, torch.Tensor, torch.optim.Optimizer]:
    """The synthetic images as a leaf to optimise, their labels, and the SGD that
    moves them: the start that every matching method shares."""
    images, labels = synthetic_init(split, ipc, init, seed)
    images.requires_grad_(True)
    return images, labels, torch.optim.SGD([images], lr=lr, momentum=momentum)


@dataclass
class Checkpointer:
    """Periodic checkpoints of a distillation, refused when the hyper-parameters changed."""

    path: Path | None
    every: int
    fingerprint: str

    @staticmethod
    def for_run(path, every: int, **identity) -> "Checkpointer":
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()
        return Checkpointer(Path(path) if path else None, int(every), digest)

    def load(self) -> dict | None:
        """The saved state, or None: no checkpoint, another run's, or a damaged one.

        A damaged checkpoint (a job killed mid-write on a file system without
        atomic renames, a disk error) is set aside as ``<name>.damaged`` with a
        warning, and the run starts from iteration 0: it never resumes from
        garbage and never fails for good on the same file.
        """
        if self.path is None or not self.path.exists():
            return None
        try:
            state = load_tensors(self.path)
            if not isinstance(state, dict) or not {"iteration", "tensors", "optimizers", "loss_curve"} <= set(state):
                raise DamagedFile(f"{self.path} does not hold a distillation checkpoint")
        except DamagedFile as err:
            aside = self.path.with_name(self.path.name + ".damaged")
            self.path.replace(aside)
            log.warning("checkpoint %s is damaged (%s); set aside as %s, starting from iteration 0",
                        self.path, err, aside)
            return None
        if state.get("fingerprint") != self.fingerprint:
            log.warning("ignoring checkpoint %s: it belongs to other hyper-parameters", self.path)
            return None
        return state

    def save(self, state: dict) -> None:
        if self.path is not None:
            save_tensors({**state, "fingerprint": self.fingerprint}, self.path)

    def clear(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)


DIVERGENCE_FACTOR = 100.0
"""A distillation stops once its images' RMS exceeds this multiple of their RMS at iteration 0.

The images start as normalised real images or noise (RMS about 1), and the
default run's sets end within 7x of that (DM's, the largest: 1.05-6.9); an
lr too large for the network blows them up finitely (an MLP in DM's pool at
``lr_img: 10`` reached a norm of 9e12 in 120 iterations, its set then
training to 0.03 accuracy), which the NaN/inf guard never sees. The check
changes no set that passes it, so it is a constant, not a param of the jobs."""


class Diverged(FloatingPointError):
    """The images blew up beyond ``DIVERGENCE_FACTOR``; the last checkpoint before it is kept."""


def _rms(tensor: torch.Tensor) -> float:
    return float(tensor.detach().float().pow(2).mean().sqrt())


def optimize(name: str, step: Callable[[int], float], tensors: dict[str, torch.Tensor],
             optimizers: dict[str, torch.optim.Optimizer], iterations: int,
             checkpointer: Checkpointer | None = None,
             extra_check: Callable[[int], None] | None = None) -> torch.Tensor:
    """Run ``step(iteration)`` for every iteration; return the loss curve.

    ``tensors`` (the synthetic images, a learned lr) and ``optimizers`` are what a
    checkpoint saves and a resume restores. A NaN or infinite loss or tensor stops
    the run with an error naming the iteration, before anything is written; so
    do images whose RMS grows past ``DIVERGENCE_FACTOR`` times their start
    (``Diverged``), the error naming the images' lr and the checkpoint kept.
    SIGTERM, which SLURM sends before SIGKILL at a job's time limit, lets the
    iteration under way finish, writes the checkpoint and exits with 143.
    """
    curve: list[float] = []
    start = 0
    state = checkpointer.load() if checkpointer else None
    if state is not None:
        with torch.no_grad():
            for key, tensor in tensors.items():
                tensor.copy_(state["tensors"][key])
        for key, opt in optimizers.items():
            opt.load_state_dict(state["optimizers"][key])
        curve = state["loss_curve"].tolist()
        start = int(state["iteration"]) + 1
        log.info("%s: resumed from %s at iteration %d", name, checkpointer.path, start)
    images = tensors.get("images")
    initial = float(state.get("initial_rms", 0.0)) if state is not None else 0.0
    if images is not None and not initial:
        initial = _rms(images)
    with stop_signal() as stopping:
        for it in progress(range(start, iterations), desc=name, total=iterations, initial=start):
            loss = float(step(it))
            if not math.isfinite(loss):
                raise FloatingPointError(f"{name}: the loss is {loss} at iteration {it}; no result was written")
            for key, tensor in tensors.items():
                if not torch.isfinite(tensor).all():
                    raise FloatingPointError(f"{name}: {key} contains NaN or inf after iteration {it}; "
                                             "no result was written")
            if images is not None and initial > 0 and _rms(images) > DIVERGENCE_FACTOR * initial:
                _diverged(name, it, _rms(images), initial, optimizers, checkpointer)
            if extra_check is not None:
                extra_check(it)
            curve.append(loss)
            stop = stopping()
            due = checkpointer and checkpointer.every > 0 and (it + 1) % checkpointer.every == 0
            if checkpointer and (stop or due) and it + 1 < iterations:
                checkpointer.save({"iteration": it, "tensors": {k: t.detach().cpu() for k, t in tensors.items()},
                                   "optimizers": {k: o.state_dict() for k, o in optimizers.items()},
                                   "loss_curve": torch.tensor(curve), "initial_rms": initial})
            if stop and it + 1 < iterations:
                log.warning("%s: SIGTERM after iteration %d; %s, exiting", name, it,
                            f"checkpoint written to {checkpointer.path}" if checkpointer else "no checkpoint")
                raise Stopped(143)
    return torch.tensor(curve)


def _diverged(name: str, it: int, rms: float, initial: float, optimizers: dict, checkpointer) -> None:
    lr = optimizers["images"].param_groups[0]["lr"] if "images" in optimizers else None
    kept = (f"the last checkpoint before it is kept at {checkpointer.path}"
            if checkpointer and checkpointer.path is not None and checkpointer.path.exists() else "no checkpoint")
    raise Diverged(f"{name}: the images diverged at iteration {it}: their RMS is {rms:.3g}, "
                   f"{rms / initial:.0f}x their start ({initial:.3g}), beyond {DIVERGENCE_FACTOR:g}x; "
                   f"no result was written and {kept}. Lower the method's lr_img"
                   + (f" (now {lr:g})" if lr is not None else ""))


class Stopped(SystemExit):
    """SIGTERM arrived (SLURM sends it before SIGKILL at the time limit); the checkpoint was written."""


@contextlib.contextmanager
def stop_signal():
    """Turn SIGTERM into a flag for the duration of the loop: the iteration under way finishes,
    its state is checkpointed, and the job exits with 143 (128 + SIGTERM), to resume there."""
    received = []
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield lambda: False
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGTERM, previous)
