"""Evaluation rows: distilled sets and full-data references under the family.

Each row is one trained model: (dataset, method, ipc, seed, config, eval_seed)
with its test accuracy and loss. MTT sets carry a learned lr; by default SGD
configurations train with it, as the published protocol does.
"""

from __future__ import annotations

import torch

from ..data.datasets import Split
from .stacked import Run, train_runs


def evaluate_distilled(distilled: dict, split: Split, family: dict[str, dict], eval_seeds: list[int],
                       use_learned_lr: bool = True, vectorize: str = "auto", test_batch: int = 2048) -> list[dict]:
    """Train every configuration of the family on one distilled set, once per eval seed."""
    device = split.x_test.device
    x = distilled["images"].to(device=device, dtype=torch.float32)
    y = distilled["labels"].to(device)
    learned = distilled.get("lr") if use_learned_lr else None
    learned = float(learned) if learned is not None else None
    runs = [Run(training, s, learned) for training in family.values() for s in eval_seeds]
    results = train_runs(runs, x, y, split.x_test, split.y_test, split.num_classes, vectorize, test_batch,
                         desc=f"{distilled['method']} ipc{distilled['ipc']}")
    rows = []
    for run, res in zip(runs, results):
        rows.append({
            "dataset": distilled["dataset"], "method": distilled["method"], "ipc": int(distilled["ipc"]),
            "seed": int(distilled["seed"]), "config": run.training["name"], "eval_seed": run.seed,
            "test_acc": res["test_acc"], "test_loss": res["test_loss"],
            "lr": (run.lr if run.lr is not None and run.training["optimizer"]["type"] == "sgd"
                   else run.training["optimizer"]["lr"]),
            "train_time": res["train_time"], "vectorized": res["vectorized"],
        })
    return rows


def evaluate_reference(dataset: str, split: Split, training: dict, eval_seeds: list[int], vectorize: str = "auto",
                       test_batch: int = 2048) -> list[dict]:
    """Train one configuration on the whole training set, once per eval seed."""
    runs = [Run(training, s) for s in eval_seeds]
    results = train_runs(runs, split.x_train, split.y_train, split.x_test, split.y_test, split.num_classes,
                         vectorize, test_batch, desc=f"reference {training['name']}")
    return [{"dataset": dataset, "config": training["name"], "eval_seed": r.seed, "epochs": training["epochs"],
             "test_acc": res["test_acc"], "test_loss": res["test_loss"], "train_time": res["train_time"]}
            for r, res in zip(runs, results)]
