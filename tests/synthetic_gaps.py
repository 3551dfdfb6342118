"""A synthetic Δ table with a known scaling law, for the law tests."""

import math

import numpy as np
import pandas as pd

IPCS = (1, 2, 3, 5, 8, 10, 15, 20, 30, 50)


def gaps_table(floor=0.03, slope=0.4, configs=4, seeds=2, saturate_at=None, noise=0.004, seed=0):
    """Δ = floor + shift_config + slope/√k, flat from ``saturate_at`` on when given."""
    rng = np.random.default_rng(seed)
    rows = []
    for j in range(configs):
        for k in IPCS:
            x = 1 / math.sqrt(k) - (1 / math.sqrt(saturate_at) if saturate_at else 0.0)
            for s in range(seeds):
                rows.append({"dataset": "d", "method": "m", "ipc": k, "seed": s, "config": f"c{j}",
                             "delta_err": floor + 0.01 * j + slope * max(x, 0.0) + rng.normal(0, noise),
                             "delta_err_var": noise ** 2})
    return pd.DataFrame(rows)
