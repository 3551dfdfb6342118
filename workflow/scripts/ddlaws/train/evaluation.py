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

import torch

from ..data.datasets import Split
from ..nn.microbatch import soft_targets
from ..plan.budget import sized_epochs
from .engine import base_lr
from .stacked import Run, train_runs


def evaluate_distilled(distilled: dict, split: Split, family: dict[str, dict], eval_seeds: list[int],
                       use_learned_lr: bool = True, vectorize: str = "auto", test_batch: int = 2048,
                       soft_label: dict | None = None) -> list[dict]:
    """Train every configuration of the family on one distilled set, once per eval seed.

    ``soft_label`` (``evaluation.soft_label``: the loss and its temperature) is
    required for a set with soft labels and refused for one without: the
    workflow knows each method's regime before the job runs.
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
    runs = [Run(training, s, learned) for training in family.values() for s in eval_seeds]
    results = train_runs(runs, x, y, split.x_test, split.y_test, split.num_classes, vectorize, test_batch,
                         desc=f"{distilled['method']} ipc{distilled['ipc']}")
    rows = []
    for run, res in zip(runs, results):
        rows.append({
            "dataset": distilled["dataset"], "method": distilled["method"], "ipc": int(distilled["ipc"]),
            "seed": int(distilled["seed"]), "label_regime": regime, "config": run.training["name"],
            "eval_seed": run.seed,
            "test_acc": res["test_acc"], "test_loss": res["test_loss"], "epochs": run.training["epochs"],
            "check_epoch": res["check_epoch"], "check_test_acc": res["check_test_acc"],
            "end_test_acc": res["end_test_acc"], "lr": base_lr(run.training, run.lr),
            "train_time": res["train_time"], "vectorized": res["vectorized"],
        })
    return rows


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
