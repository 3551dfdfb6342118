"""The scaling law: Δ_a(k) = ε_bound(a) + C_a / √k, fitted per configuration and pooled.

Each point is one distilled set under one configuration: x = 1/√k and y = Δ (the
mean over eval seeds). The intercept estimates ε_bound, the floor that more
distilled images cannot push the gap below.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .linear_fit import fit_line

POOLED = "pooled"


def gap_columns(gap: str) -> tuple[str, str]:
    """The Δ column and its variance column for ``laws.gap`` (error or loss)."""
    return f"delta_{'err' if gap == 'error' else 'loss'}", f"delta_{'err' if gap == 'error' else 'loss'}_var"


def _fit(frame: pd.DataFrame, gap: str, estimator: str, confidence: float) -> dict:
    col, var = gap_columns(gap)
    out = fit_line(1.0 / np.sqrt(frame["ipc"].to_numpy(float)), frame[col], estimator, frame[var], confidence)
    out["ipcs"] = " ".join(str(k) for k in sorted(frame["ipc"].unique()))
    return out


def scaling_table(gaps: pd.DataFrame, gap: str = "error", estimator: str = "ols",
                  confidence: float = 0.95) -> pd.DataFrame:
    """One row per (dataset, method, config), plus a ``pooled`` row over configs."""
    rows = []
    for (dataset, method), frame in gaps.groupby(["dataset", "method"], sort=True):
        for config, sub in frame.groupby("config", sort=True):
            rows.append({"dataset": dataset, "method": method, "config": config, "gap": gap,
                         **_fit(sub, gap, estimator, confidence)})
        rows.append({"dataset": dataset, "method": method, "config": POOLED, "gap": gap,
                     **_fit(frame, gap, estimator, confidence)})
    return pd.DataFrame(rows)
