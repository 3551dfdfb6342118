"""The size a distilled set needs to keep Y, the gap over m configurations, below a target ε.

For each m the per-(k, m) means of Y are fitted as a scaling curve
Y_m(k) = a_m + b_m/√k (OLS, HC3) and inverted: k*(m) = (b_m / (ε − a_m))². A
curve whose floor a_m is at or above ε, or that does not fall with k, never
reaches the target, and k*(m) is NaN with the reason in ``status``. Every k*
carries its ``k_required_status`` (``scaling_fit.size_status``): a k* beyond the
largest k observed is an extrapolation of the fitted curve, not a finding.
The coverage law predicts that k* grows linearly in the coverage entropy
H(m) (log m, or log(1 + m) to match the X of the coverage fit), so k* is
regressed on H over the m whose k* lies inside the measured k (OLS, HC3).
``coverage_tables`` gives the coverage stage's tables, the coverage law's
fits with this growth beside them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config_entropy import DEFAULT_RADIUS
from .coverage_fit import coverage_entropy, coverage_law
from .linear_fit import fit_line
from .scaling_fit import required_ipc, size_status


def _status(a: float, b: float, target: float) -> str:
    if not (np.isfinite(a) and np.isfinite(b)):
        return "too few k"
    if b <= 0:
        return "not falling with k"
    return "reachable" if target > a else "floor at or above target"


def required_size_table(points: pd.DataFrame, target_gap: float, x_form: str = "log",
                        confidence: float = 0.95) -> pd.DataFrame:
    """One row per (dataset, method, m): the fitted Y_m(k) and the k* it needs for the target."""
    rows = []
    for (dataset, method, m), frame in points.groupby(["dataset", "method", "m"], sort=True):
        fit = fit_line(1.0 / np.sqrt(frame["ipc"].to_numpy(float)), frame["y"], "ols", confidence=confidence)
        a, b = fit["intercept"], fit["slope"]
        k_star = float(required_ipc(a, b, target_gap))
        rows.append({"dataset": dataset, "method": method, "n_configs": int(frame["n_configs"].iloc[0]),
                     "m": m, "entropy": float(coverage_entropy(m, x_form)), "n": fit["n"],
                     "intercept": a, "intercept_ci_low": fit["intercept_ci_low"],
                     "intercept_ci_high": fit["intercept_ci_high"], "slope": b,
                     "target_gap": target_gap, "k_required": k_star,
                     "status": _status(a, b, target_gap),
                     "k_required_status": size_status(k_star, sorted(int(v) for v in frame["ipc"].unique()))})
    return pd.DataFrame(rows)


def required_growth(required: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """k* ~ H(m) per (dataset, method); the law predicts a positive slope.

    Fitted only where every m that reaches the target does so inside the
    measured k. Dropping the m whose k* lies outside would select on the
    response (the large-m k* go first) and bias the slope toward 0, so then the
    fit is left out (NaN) and ``required_outside`` counts those m.
    """
    rows = []
    for (dataset, method), frame in required.groupby(["dataset", "method"], sort=True):
        reached = frame[frame["status"] == "reachable"]
        outside = int((~reached["k_required_status"].isin(["measured", "interpolated"])).sum())
        fitted = reached.iloc[:0] if outside else reached
        fit = fit_line(fitted["entropy"], fitted["k_required"], "ols", confidence=confidence)
        rows.append({"dataset": dataset, "method": method, "required_outside": outside,
                     **{f"required_{name}": value for name, value in fit.items()}})
    return pd.DataFrame(rows)


def coverage_tables(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0, statistic: str = "max",
                    x_form: str = "log", target_gap: float = 0.05, confidence: float = 0.95, resamples: int = 1000,
                    bootstrap_seed: int = 0, radius: float = DEFAULT_RADIUS):
    """The coverage stage's tables: the fits with their required-size growth, the per-(k, m) points, the subset
    cloud and the required-size table (``coverage_law``, ``required_size_table``, ``required_growth``)."""
    fits, points, cloud = coverage_law(gaps, gap, draws, seed, statistic, x_form, confidence, resamples,
                                       bootstrap_seed, radius)
    required = required_size_table(points, target_gap, x_form, confidence)
    table = fits.merge(required_growth(required, confidence), on=["dataset", "method"], how="left")
    return table, points, cloud, required
