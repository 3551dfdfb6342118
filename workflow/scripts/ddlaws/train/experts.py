"""Expert trajectories for trajectory matching: a model trained on the real data,
its flat parameter vector saved after every epoch.

One file per expert (``results/experts/{dataset}/{name}/expert{i}.pt``) holds the
trajectory ``[epochs + 1, P]`` (the initial weights first), the test accuracy and
loss after every epoch (a bad expert shows), and the training configuration.
Experts are read back memory-mapped, so trajectory matching touches only the
epochs it uses.
"""

from __future__ import annotations

import time

import torch

from ..atomic import load_tensors
from ..data.datasets import Split
from ..nn.models import flat_params, init_model
from .engine import evaluate, fit


def train_expert(split: Split, training: dict, index: int, test_batch: int = 2048) -> dict:
    """Train expert ``index`` (its seed) under ``training``; record every epoch."""
    channels, size = split.image_shape[0], split.image_shape[-1]
    model = init_model(training["arch"], channels, split.num_classes, size, seed=index, device=split.x_train.device)
    snapshots = [flat_params(model).cpu()]
    first = evaluate(model, split.x_test, split.y_test, test_batch)
    accs, losses = [first[0]], [first[1]]

    def record(epoch: int, trained) -> None:
        snapshots.append(flat_params(trained).cpu())
        acc, loss = evaluate(trained, split.x_test, split.y_test, test_batch)
        accs.append(acc)
        losses.append(loss)

    started = time.time()
    fit(model, split.x_train, split.y_train, training, seed=index, desc=f"expert {index}", on_epoch=record)
    return {"trajectory": torch.stack(snapshots), "test_acc": torch.tensor(accs), "test_loss": torch.tensor(losses),
            "training": training, "index": int(index), "num_params": int(snapshots[0].numel()),
            "wall_time": time.time() - started}


def disk_bytes(num_params: int, epochs: int) -> int:
    """Bytes of one expert's trajectory on disk (fp32, epochs + 1 snapshots)."""
    return 4 * num_params * (epochs + 1)


class ExpertBank:
    """The experts of a run, memory-mapped; ``segment`` reads two epochs of one expert."""

    def __init__(self, paths):
        if not paths:
            raise ValueError("trajectory matching needs at least one expert")
        self.records = [load_tensors(p, mmap=True) for p in paths]
        self.epochs = min(len(r["trajectory"]) - 1 for r in self.records)

    def __len__(self) -> int:
        return len(self.records)

    def segment(self, expert: int, start: int, end: int, device) -> tuple[torch.Tensor, torch.Tensor]:
        traj = self.records[expert]["trajectory"]
        return traj[start].to(device, copy=True), traj[end].to(device, copy=True)
