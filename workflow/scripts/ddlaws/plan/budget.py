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
    """The epoch at which a run's test accuracy is read a first time: three quarters of the way, before the last.

    0 for a one-epoch run, which has no earlier point to compare with: its
    convergence check cannot be made (and so counts as not converged).
    """
    return min(math.ceil(0.75 * epochs), epochs - 1) if epochs > 1 else 0


def check_windows(epochs: int) -> tuple[range, range]:
    """The epochs (1-based) whose test accuracies are averaged for the check: a window ending at
    ``check_epoch`` and one ending at the last epoch, each 5 % of the epochs (at least one).

    A tiny set trained with augmentation moves its test accuracy by several
    test images from one epoch to the next even when it has stopped learning
    (an MLP on one augmented image per class: ±0.02 on digits); one reading at
    each end would call that noise a trend. Means over the windows keep the
    trend. Both windows are empty where the check cannot be made.
    """
    check = check_epoch(epochs)
    if check == 0:
        return range(0), range(0)
    width = max(1, min(round(0.05 * epochs), epochs - check, check))
    return range(check - width + 1, check + 1), range(epochs - width + 1, epochs + 1)


def converged(check_acc, end_acc, tolerance: float):
    """The convergence verdict, for numbers or elementwise for pandas columns: the mean test accuracy rose by at
    most ``tolerance`` from the window ending at ``check_epoch`` to the window ending at the last epoch. A check
    that cannot be made (NaN) fails, as every comparison with NaN does."""
    return end_acc - check_acc <= tolerance
