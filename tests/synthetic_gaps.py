"""A synthetic Δ table with a known scaling law, for the law tests."""

import math

import numpy as np
import pandas as pd

IPCS = (1, 2, 3, 5, 8, 10, 15, 20, 30, 50)
REFERENCE_ERROR = 0.05


def gaps_table(floor=0.03, slope=0.4, configs=4, seeds=2, saturate_at=None, noise=0.004, seed=0):
    """Δ = floor + shift_config + slope/√k, flat from ``saturate_at`` on when given."""
    rng = np.random.default_rng(seed)
    rows = []
    for j in range(configs):
        for k in IPCS:
            x = 1 / math.sqrt(k) - (1 / math.sqrt(saturate_at) if saturate_at else 0.0)
            for s in range(seeds):
                delta = floor + 0.01 * j + slope * max(x, 0.0) + rng.normal(0, noise)
                rows.append({"dataset": "d", "method": "m", "label_regime": "hard", "ipc": k, "seed": s,
                             "config": f"c{j}",
                             "delta_err": delta, "delta_err_var": noise ** 2, "err": REFERENCE_ERROR + delta,
                             "ref_err": REFERENCE_ERROR, "late_gain": 0.0, "converged": True})
    return pd.DataFrame(rows)


def reference_rows(gaps: pd.DataFrame, late_gain: float = 0.0, per_class: int = 100) -> pd.DataFrame:
    """references.csv rows for the configurations of a gaps table, ``late_gain`` still to come at the end."""
    return pd.DataFrame([{"dataset": d, "config": c, "eval_seed": 0, "epochs": 20, "test_acc": 1 - REFERENCE_ERROR,
                          "test_loss": 0.1, "train_time": 1.0, "check_epoch": 15,
                          "check_test_acc": 1 - REFERENCE_ERROR - late_gain, "end_test_acc": 1 - REFERENCE_ERROR,
                          "train_per_class": per_class}
                         for d, c in gaps[["dataset", "config"]].drop_duplicates().itertuples(index=False)])
