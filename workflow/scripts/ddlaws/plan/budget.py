"""How long a model trains, and when its convergence is checked: pure arithmetic, shared by the
trainers and by the job resources (which must stay torch-free at parse time)."""

from __future__ import annotations

import math


def sized_epochs(training: dict, n: int) -> int:
    """The epochs a run on ``n`` images trains: its ``epochs``, raised until it takes ``min_steps`` optimizer steps.

    A distilled set of a few images fills one minibatch, so an epoch is one
    step: 60 epochs of a 10-image set are 60 updates, far from converged,
    where the same 60 epochs of the full data are thousands. ``min_steps``
    sizes the budget by updates as well (0: by epochs alone).
    """
    steps_per_epoch = math.ceil(n / min(training["batch"], n))
    return max(int(training["epochs"]), math.ceil(int(training["min_steps"]) / steps_per_epoch))


def check_epoch(epochs: int) -> int:
    """The epoch after which a run's test accuracy is read a first time: three quarters of the way.

    0 for a one-epoch run, which has no earlier point to compare with: its
    convergence check cannot be made (and so counts as not converged).
    """
    return max(1, math.ceil(0.75 * epochs)) if epochs > 1 else 0
