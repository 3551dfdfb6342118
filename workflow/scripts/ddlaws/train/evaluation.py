"""Evaluation rows: distilled sets and full-data references under the family.

Each row is one trained model: (dataset, method, ipc, seed, config, eval_seed)
with its test accuracy and loss, and the set's label regime. MTT sets carry a
learned lr; by default SGD configurations train with it, as the published
protocol does. A set with soft labels (``soft_labels``, probabilities
``[N, classes]``) trains against them with the soft-label loss of the config;
its regime is ``soft``, every other set's ``hard``. A set trains for its
configuration's epochs, raised to ``min_steps`` optimizer steps
(``plan.budget.sized_epochs``); every model's test accuracy is read around three
quarters of them and at their end as well, for the convergence check of the tables job.
"""

from __future__ import annotations

import logging
from typing import Callable, Iterator

import numpy as np
import torch

from ..data.datasets import Split
from ..nn.microbatch import soft_targets
from ..plan.budget import converged, sized_epochs
from .engine import base_lr
from .stacked import Run, train_runs

log = logging.getLogger(__name__)


def evaluate_distilled(distilled: dict, split: Split, family: dict[str, dict], eval_seeds: list[int],
                       use_learned_lr: bool = True, vectorize: str = "auto", test_batch: int = 2048,
                       soft_label: dict | None = None, tolerance: float = 0.005,
                       extensions: int = 0, on_done: Callable[[str, list[dict]], None] | None = None) -> list[dict]:
    """Train every configuration of the family on one distilled set, once per eval seed.

    A configuration whose convergence check fails (``plan.budget.converged``,
    the tables job's own verdict, on the mean over its eval seeds) is trained
    again from scratch for twice its epochs, up to ``extensions`` times: the
    check is made where the model trains, so a slow configuration gets the
    budget it needs instead of a flag. The step schedule stretches with the
    epochs, so a longer run is a run of its own, not a continuation. Each row
    records its epochs and ``extensions``; one still failing after the last is
    named by the tables job.

    ``soft_label`` (``evaluation.soft_label``: the loss and its temperature) is
    required for a set with soft labels and refused for one without: the
    workflow knows each method's regime before the job runs.

    ``on_done(configuration, rows)`` receives each configuration's rows as
    soon as they are final (its group of runs trained, and its check passed or
    its extensions spent), so that a job killed later keeps them
    (``train.stored_evaluation``).
    """
    device = split.x_test.device
    x = distilled["images"].to(device=device, dtype=torch.float32)
    soft = distilled.get("soft_labels")
    if (soft is None) != (soft_label is None):
        raise ValueError(f"{distilled['method']} ipc{distilled['ipc']}: the set "
                         f"{'has no' if soft is None else 'carries'} soft labels, but its method is declared "
                         f"{'soft' if soft is None else 'hard'}")
    if soft is None:
        y = distilled["labels"].to(device)
    else:
        y = soft_targets(soft.to(device=device, dtype=torch.float32), soft_label)
        family = {name: {**training, "soft_label": dict(soft_label)} for name, training in family.items()}
    regime = "hard" if soft is None else "soft"
    learned = distilled.get("lr") if use_learned_lr else None
    learned = float(learned) if learned is not None else None
    family = {name: {**training, "epochs": sized_epochs(training, len(x))} for name, training in family.items()}
    desc = f"{distilled['method']} ipc{distilled['ipc']}"
    rows: dict[str, list[dict]] = {}
    todo = family
    for extended in range(extensions + 1):
        late = {}
        for trained in _train(todo, eval_seeds, learned, x, y, split, vectorize, test_batch, desc):
            gains = _unconverged(trained, tolerance) if extended < extensions else {}
            for name, pairs in trained.items():
                if name in gains:
                    log.info("%s: %s rose %+.4f over its last quarter, beyond the tolerance %g; trained again "
                             "for %d epochs", desc, name, gains[name], tolerance, 2 * todo[name]["epochs"])
                    late[name] = {**todo[name], "epochs": 2 * todo[name]["epochs"]}
                    continue
                rows[name] = [_row(distilled, regime, name, run, res, extended) for run, res in pairs]
                if on_done is not None:
                    on_done(name, rows[name])
        todo = late
        if not todo:
            break
    return [row for name in family for row in rows[name]]


def _row(distilled: dict, regime: str, name: str, run: Run, res: dict, extensions: int) -> dict:
    return {
        "dataset": distilled["dataset"], "method": distilled["method"], "ipc": int(distilled["ipc"]),
        "seed": int(distilled["seed"]), "label_regime": regime, "config": name, "eval_seed": run.seed,
        "test_acc": res["test_acc"], "test_loss": res["test_loss"], "epochs": run.training["epochs"],
        "extensions": extensions, "check_epoch": res["check_epoch"],
        "check_test_acc": res["check_test_acc"], "end_test_acc": res["end_test_acc"],
        "lr": base_lr(run.training, run.lr), "train_time": res["train_time"],
        "vectorized": res["vectorized"],
    }


def _train(family: dict[str, dict], eval_seeds: list[int], learned, x, y, split: Split, vectorize: str,
           test_batch: int, desc: str) -> Iterator[dict[str, list]]:
    """{configuration: [(run, result) per eval seed]} for each group of runs that trains together
    (``Run.group_key``), one group after another: a group's models are final before the next one trains."""
    groups: dict[str, list[Run]] = {}
    for training in family.values():
        for s in eval_seeds:
            run = Run(training, s, learned)
            groups.setdefault(run.group_key, []).append(run)
    for runs in groups.values():
        results = train_runs(runs, x, y, split.x_test, split.y_test, split.num_classes, vectorize, test_batch,
                             desc=desc)
        trained: dict[str, list] = {}
        for run, res in zip(runs, results):
            trained.setdefault(run.training["name"], []).append((run, res))
        yield trained


def _unconverged(trained: dict[str, list], tolerance: float) -> dict[str, float]:
    """{configuration: its late gain} of those whose check fails on the mean over their eval seeds."""
    late = {}
    for name, pairs in trained.items():
        check = float(np.mean([res["check_test_acc"] for _, res in pairs]))
        end = float(np.mean([res["end_test_acc"] for _, res in pairs]))
        if not converged(check, end, tolerance):
            late[name] = end - check
    return late


def evaluate_reference(dataset: str, split: Split, training: dict, eval_seeds: list[int],
                       vectorize: str = "auto", test_batch: int = 2048) -> list[dict]:
    """Train one configuration on the whole training set, once per eval seed, and read its convergence check.

    Δ is measured against this model, so one still improving at its last epoch
    makes every Δ too small. Each row therefore carries the test accuracy at
    ``check_epoch`` beside the final one, as every evaluated model's does; the
    test set only reads the curve, it never picks the model, which is always
    the one after the last epoch.
    """
    per_class = int(torch.bincount(split.y_train, minlength=split.num_classes).min())
    runs = [Run(training, seed) for seed in eval_seeds]
    results = train_runs(runs, split.x_train, split.y_train, split.x_test, split.y_test, split.num_classes,
                         vectorize, test_batch, desc=f"reference {training['name']}")
    return [{"dataset": dataset, "config": training["name"], "eval_seed": run.seed, "epochs": training["epochs"],
             "test_acc": res["test_acc"], "test_loss": res["test_loss"], "train_time": res["train_time"],
             "check_epoch": res["check_epoch"], "check_test_acc": res["check_test_acc"],
             "end_test_acc": res["end_test_acc"], "train_per_class": per_class} for run, res in zip(runs, results)]
