"""The scaling law: Δ_a(k) = ε_bound(a) + C_a / √k, fitted per configuration and pooled.

Each point is one distilled set under one configuration: x = 1/√k and y = Δ (the
mean over eval seeds). The intercept estimates ε_bound, the floor that more
distilled images cannot push the gap below. Beside the line every row carries
the test for a floor reached within the observed k (``saturation``) and the
free exponent of Δ = a + b·k^(−α) (``free_exponent``), which checks α = ½.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .free_exponent import exponent_fit
from .linear_fit import fit_line
from .saturation import saturation_fit

POOLED = "pooled"


def gap_columns(gap: str) -> tuple[str, str]:
    """The Δ column and its variance column for ``laws.gap`` (error or loss)."""
    return f"delta_{'err' if gap == 'error' else 'loss'}", f"delta_{'err' if gap == 'error' else 'loss'}_var"


def _fit(frame: pd.DataFrame, gap: str, estimator: str, confidence: float) -> dict:
    col, var = gap_columns(gap)
    k = frame["ipc"].to_numpy(float)
    out = fit_line(1.0 / np.sqrt(k), frame[col], estimator, frame[var], confidence)
    out["ipcs"] = " ".join(str(ipc) for ipc in sorted(frame["ipc"].unique()))
    out.update(saturation_fit(k, frame[col], confidence))
    out.update(exponent_fit(k, frame[col], confidence))
    return out


def required_ipc(intercept, slope, target):
    """The k at which the curve intercept + slope/√k comes down to ``target``.

    (slope / (target − intercept))², elementwise; NaN where the curve never gets
    there: its floor is at or above the target, or it does not fall with k.
    """
    intercept, slope, target = (np.asarray(v, dtype=float) for v in (intercept, slope, target))
    reachable = (target > intercept) & (slope > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reachable, (slope / (target - intercept)) ** 2, np.nan)


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
