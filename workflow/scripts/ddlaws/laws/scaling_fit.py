"""The scaling law: Δ_a(k) = ε_bound(a) + C_a·k^(−½), fitted per configuration and pooled.

Each point is one distilled set under one configuration: Δ, the mean over eval
seeds, at k. ε_bound is a floor, so both forms are fitted with ε ≥ 0
(``power_law``): the law's Δ = ε + C/√k, and Δ = ε + C·k^(−α) with a free
exponent. The unconstrained OLS line is kept beside them as a diagnostic
(``ols_intercept``, with HC3 intervals): a negative intercept there says that
over the measured k the gap falls faster than 1/√k, not that there is a floor
below zero.

Intervals are bootstrap intervals over what a rerun would change
(``bootstrap``): configurations crossed with the distilled sets for the pooled
row, the distilled sets for a configuration's own row; with one set per k, eval
seeds and that set's effect, estimated once per (dataset, method) and drawn
alike for every configuration. ``interval_holds_fixed`` says what they leave
as measured. Beside them every row carries the hinge
test for a floor reached within the observed k (``saturation``), the
profile-likelihood interval of α (``free_exponent``), and the AIC of the three
shapes, line, free exponent and hinge, with the one the data prefer.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .bootstrap import config_replicates, keyed_rng, measurement_replicates, percentile_interval, set_effects
from .free_exponent import exponent_fit
from .gaps import gap_columns
from .linear_fit import fit_line
from .power_law import aic, fixed_exponent_fit, free_exponent_fit
from .saturation import best_hinge, saturation_fit

POOLED = "pooled"
BOOTSTRAPPED = {"intercept": "eps", "slope": "c", "alpha": "alpha", "free_intercept": "free_eps"}


def required_ipc(intercept, slope, target, alpha=0.5):
    """The k at which the curve intercept + slope·k^(−α) comes down to ``target``.

    (slope / (target − intercept))^(1/α), elementwise; NaN where the curve never
    gets there: its floor is at or above the target, or it does not fall with k.
    """
    intercept, slope, target, alpha = (np.asarray(v, dtype=float) for v in (intercept, slope, target, alpha))
    reachable = (target > intercept) & (slope > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(reachable, (slope / (target - intercept)) ** (1.0 / alpha), np.nan)


def whole_k(k: float) -> int:
    """The images per class a fitted k asks for: the next whole number, at least one."""
    return max(1, math.ceil(k - 1e-9))


def size_status(k: float, measured: list[int], per_class: float | None = None) -> str:
    """Where a k read off a fit stands against the k that were run and the images the dataset has.

    ``measured`` (a k that was run), ``interpolated`` (between two k run),
    ``below_measured`` and ``beyond_measured`` (extrapolations below the smallest
    and above the largest k run), ``beyond_dataset`` (more images per class than
    the training set has), ``none`` (no k).
    """
    if k is None or not np.isfinite(k):
        return "none"
    need = whole_k(k)
    if per_class is not None and np.isfinite(per_class) and need > per_class:
        return "beyond_dataset"
    if need > max(measured):
        return "beyond_measured"
    if need < min(measured):
        return "below_measured"
    return "measured" if need in measured else "interpolated"


def _estimates(k: np.ndarray, y: np.ndarray, refine: bool = False) -> dict:
    """Both constrained forms on every row of y [B, n]."""
    eps, c, sse = fixed_exponent_fit(k, y)
    out = {"eps": eps, "c": c, "sse": sse}
    if np.unique(k).size >= 3 and y.shape[1] >= 4:
        free_eps, free_c, alpha, free_sse = free_exponent_fit(k, y, refine)
        out.update(free_eps=free_eps, free_c=free_c, alpha=alpha, free_sse=free_sse)
    return out


def _point(k: np.ndarray, y: np.ndarray, estimator: str, variance, confidence: float) -> dict:
    """The estimates of one set of points, with the OLS diagnostics and the shape tests."""
    est = _estimates(k, y[None, :], refine=True)
    sst = float(((y - y.mean()) ** 2).sum())
    line = fit_line(1.0 / np.sqrt(k), y, estimator, variance, confidence)
    out = {"n": len(y), "ipcs": " ".join(str(int(v)) for v in sorted(np.unique(k))),
           "intercept": float(est["eps"][0]), "slope": float(est["c"][0]),
           "r2": 1.0 - float(est["sse"][0]) / sst if sst > 0 else math.nan,
           "ols_intercept": line["intercept"], "ols_slope": line["slope"], "ols_r2": line["r2"],
           "estimator": line["estimator"],
           **{f"hc3_{name}_ci_{side}": line[f"{name}_ci_{side}"] for name in ("intercept", "slope")
              for side in ("low", "high")}}
    out.update(saturation_fit(k, y, confidence))
    profile = exponent_fit(k, y, confidence)
    out.update(alpha=math.nan, free_intercept=math.nan, free_slope=math.nan,
               alpha_profile_ci_low=profile["alpha_ci_low"], alpha_profile_ci_high=profile["alpha_ci_high"])
    aics = {"line": float(aic(est["sse"][0], len(y), 2))}
    if "alpha" in est:
        out.update(alpha=float(est["alpha"][0]), free_intercept=float(est["free_eps"][0]),
                   free_slope=float(est["free_c"][0]))
        aics["free exponent"] = float(aic(est["free_sse"][0], len(y), 3))
    hinge = best_hinge(k, y)
    if hinge is not None:
        aics["hinge"] = float(aic(hinge[1].ssr, len(y), 3))  # floor, slope, breakpoint
    out.update({f"aic_{name.replace(' ', '_')}": value for name, value in aics.items()})
    out["preferred"] = min(aics, key=aics.get) if len(y) > 4 else "line"
    return out


def _intervals(replicates: dict, confidence: float, df: int, n: int | None, resampled=None) -> dict:
    out = {}
    for name, key in BOOTSTRAPPED.items():
        low, high = (percentile_interval(replicates[key], confidence, df, n, resampled) if key in replicates
                     else (math.nan, math.nan))
        out.update({f"{name}_ci_low": low, f"{name}_ci_high": high})
    return out


def _fit(frame: pd.DataFrame, gap: str, estimator: str, confidence: float, rng, resamples: int,
         pooled: bool, effects=None) -> dict:
    col, var = gap_columns(gap)
    frame = frame.sort_values(["config", "ipc", "seed"]).reset_index(drop=True)
    k = frame["ipc"].to_numpy(float)
    out = _point(k, frame[col].to_numpy(float), estimator, frame[var], confidence)
    out.update(_intervals({}, confidence, 0, None), bootstrap_unit="none", bootstrap_df=0, interval_holds_fixed="")
    if np.unique(k).size < 2 or resamples < 10:
        return out
    resampled = (config_replicates if pooled else measurement_replicates)(frame, gap, rng, resamples,
                                                                          effects=effects)
    if resampled is None:
        return out
    out.update(_intervals(_estimates(k, resampled.values), confidence, resampled.df, resampled.n, resampled),
               bootstrap_unit=resampled.unit, bootstrap_df=resampled.df, interval_holds_fixed=resampled.holds_fixed)
    return out


def scaling_table(gaps: pd.DataFrame, gap: str = "error", estimator: str = "ols", confidence: float = 0.95,
                  resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """One row per (dataset, method, config), plus a ``pooled`` row over configs; each with its label regime."""
    rows = []
    for (dataset, method, regime), frame in gaps.groupby(["dataset", "method", "label_regime"], sort=True):
        rng = keyed_rng(seed, f"{dataset}/{method}")
        # one set per k moves every configuration at that k: one draw of its effect for all of them
        effects = set_effects(frame, gap, rng, resamples) if resamples >= 10 else None
        for config, sub in frame.groupby("config", sort=True):
            rows.append({"dataset": dataset, "method": method, "label_regime": regime, "config": config, "gap": gap,
                         **_fit(sub, gap, estimator, confidence, rng, resamples, False, effects)})
        rows.append({"dataset": dataset, "method": method, "label_regime": regime, "config": POOLED, "gap": gap,
                     **_fit(frame, gap, estimator, confidence, rng, resamples, True, effects)})
    return pd.DataFrame(rows)
