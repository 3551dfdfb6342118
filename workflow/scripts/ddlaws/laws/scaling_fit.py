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
alike for every configuration. A family of one configuration (a published
table, often) has no configurations to redraw: its pooled row is that
configuration's row, interval included. ``interval_holds_fixed`` says what they leave
as measured. Beside them every row carries the hinge
test for a floor reached within the observed k (``saturation``) and the
profile-likelihood interval of α (``free_exponent``).

The three shapes, line, free exponent and hinge (floor ≥ 0 in each), are
compared by AICc, and one is chosen by the rule of ``model_choice``; the
``_chosen`` columns are that shape's floor, coefficient, α and saturation
point, the numbers a finding reads. Every resample chooses again, so their
intervals carry the uncertainty of the choice, and ``chosen_share_*`` says how
often each shape won. A chosen floor at its bound 0 in the lower tail of its
resamples is reported as an upper bound, one at 0 in every resample with no
interval (``floor_interval``), and a chosen interval is widened to its point
estimate where the resamples' choices leave it outside.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .bootstrap import config_replicates, keyed_rng, measurement_replicates, percentile_interval, set_effects
from .free_exponent import exponent_fit
from .gaps import gap_columns
from .linear_fit import fit_line
from .model_choice import MODELS, PARAMETERS, aicc, choose
from .power_law import fixed_exponent_fit, free_exponent_fit
from .saturation import hinge_fit, saturation_fit

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


def near_floor_ipc(floor, slope, alpha, k_break, tolerance):
    """The k at which a chosen curve comes within ``tolerance`` of its floor, elementwise.

    The line and the free exponent: (C / tolerance)^(1/α). Above its breakpoint
    the hinge is the line (floor − b/√k_b) + b/√k, so the same inversion with
    that intercept gives a k at or below k_b; ``k_break`` is NaN for the others.
    """
    floor, slope, alpha, k_break = (np.asarray(v, dtype=float) for v in (floor, slope, alpha, k_break))
    with np.errstate(invalid="ignore"):
        drop = np.where(np.isfinite(k_break), slope * k_break ** -alpha, 0.0)
    return required_ipc(floor - drop, slope, floor + tolerance, alpha)


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
    """The three shapes, floor ≥ 0, on every row of y [B, n], their AICc and the shape each row chooses."""
    n = y.shape[1]
    eps, c, sse = fixed_exponent_fit(k, y)
    nan, half = np.full(eps.shape, np.nan), np.full(eps.shape, 0.5)
    out = {"eps": eps, "c": c, "sse": sse}
    curves = {"line": (eps, c, half, nan)}  # floor, coefficient, α, breakpoint
    aiccs = {"line": aicc(sse, n, PARAMETERS["line"])}
    if np.unique(k).size >= 3 and n >= 4:
        free_eps, free_c, alpha, free_sse = free_exponent_fit(k, y, refine)
        out.update(free_eps=free_eps, free_c=free_c, alpha=alpha, free_sse=free_sse)
        curves["free exponent"] = (free_eps, free_c, alpha, nan)
        aiccs["free exponent"] = aicc(free_sse, n, PARAMETERS["free exponent"])
    hinge = hinge_fit(k, y)
    if hinge is not None:
        out.update(zip(("hinge_eps", "hinge_c", "hinge_k", "hinge_sse"), hinge))
        curves["hinge"] = (hinge[0], hinge[1], half, hinge[2])
        aiccs["hinge"] = aicc(hinge[3], n, PARAMETERS["hinge"])
    chosen = choose(aiccs)
    absent = (nan,) * 4
    for i, name in enumerate(("chosen_eps", "chosen_c", "chosen_alpha", "chosen_k")):
        out[name] = np.choose(chosen, [curves.get(model, absent)[i] for model in MODELS])
    out.update(chosen=chosen, aicc=aiccs)
    return out


def _point(k: np.ndarray, y: np.ndarray, estimator: str, variance, confidence: float) -> dict:
    """The estimates of one set of points, with the OLS diagnostics, the shape tests and the chosen shape."""
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
    if "alpha" in est:
        out.update(alpha=float(est["alpha"][0]), free_intercept=float(est["free_eps"][0]),
                   free_slope=float(est["free_c"][0]))
    out.update({f"hinge_{name}": float(est[key][0]) if key in est else math.nan
                for name, key in (("intercept", "hinge_eps"), ("slope", "hinge_c"), ("k_break", "hinge_k"))})
    out.update({f"aicc_{model.replace(' ', '_')}": float(est["aicc"][model][0]) if model in est["aicc"] else math.nan
                for model in MODELS})
    out.update(chosen=MODELS[int(est["chosen"][0])], floor_chosen=float(est["chosen_eps"][0]),
               slope_chosen=float(est["chosen_c"][0]), alpha_chosen=float(est["chosen_alpha"][0]),
               k_sat_chosen=float(est["chosen_k"][0]))
    return out


FLOORS = ("intercept", "free_intercept")


def floor_interval(samples, confidence: float, resampled) -> tuple[float, float, str]:
    """(low, high, kind) of a floor held at ε ≥ 0 over its resamples.

    ``two-sided`` where the percentile interval stays above 0. Where its low end
    is the bound 0 (the bound is active in the lower tail), the interval says
    no more than that the floor lies below its high end: an ``upper bound``, at
    least at ``confidence`` (it is the two-sided interval's end, so it covers
    as the two-sided interval does). Where every resample sits at 0 there is no
    interval of any width (``at bound``, NaN ends), which SUMMARY.md says in
    words.
    """
    low, high = percentile_interval(samples, confidence, resampled.df, resampled.n, resampled)
    if math.isnan(low):
        return math.nan, math.nan, "none"
    if low > 0:
        return low, high, "two-sided"
    return (math.nan, math.nan, "at bound") if not high > 0 else (0.0, high, "upper bound")


def _intervals(replicates: dict, confidence: float, resampled=None) -> dict:
    out = {}
    for name, key in BOOTSTRAPPED.items():
        low, high, kind = math.nan, math.nan, "none"
        if key in replicates and name in FLOORS:
            low, high, kind = floor_interval(replicates[key], confidence, resampled)
        elif key in replicates:
            low, high = percentile_interval(replicates[key], confidence, resampled.df, resampled.n, resampled)
        out.update({f"{name}_ci_low": low, f"{name}_ci_high": high})
        if name in FLOORS:
            out[f"{name}_ci_kind"] = kind
    return out


def _around(point: float, low: float, high: float) -> tuple[float, float]:
    """An interval widened, where it has ends, to take in its point estimate."""
    if math.isnan(low) or math.isnan(high):
        return low, high
    return min(low, point), max(high, point)


def _chosen_intervals(replicates: dict | None, point: dict, confidence: float, resampled=None) -> dict:
    """The chosen floor and α over the resamples, each resample choosing its own shape, and each shape's share.

    The floor's interval is ``floor_interval``'s. Where the choice flips between
    shapes over the resamples, their percentile interval can miss the point's
    own shape; it is then widened to the point, which never lies outside its
    interval. Where every resample chose the line, α is ½ in all of them: no
    interval (NaN), as α was not estimated.
    """
    out = {"floor_chosen_ci_low": math.nan, "floor_chosen_ci_high": math.nan, "floor_chosen_ci_kind": "none",
           "alpha_chosen_ci_low": math.nan, "alpha_chosen_ci_high": math.nan,
           **{f"chosen_share_{model.replace(' ', '_')}": math.nan for model in MODELS}}
    if replicates is None:
        return out
    low, high, kind = floor_interval(replicates["chosen_eps"], confidence, resampled)
    low, high = _around(point["floor_chosen"], low, high)
    out.update(floor_chosen_ci_low=low, floor_chosen_ci_high=high, floor_chosen_ci_kind=kind)
    low, high = percentile_interval(replicates["chosen_alpha"], confidence, resampled.df, resampled.n, resampled)
    if low == high:
        low, high = math.nan, math.nan
    out["alpha_chosen_ci_low"], out["alpha_chosen_ci_high"] = _around(point["alpha_chosen"], low, high)
    out.update({f"chosen_share_{model.replace(' ', '_')}": float(np.mean(replicates["chosen"] == i))
                for i, model in enumerate(MODELS)})
    return out


def _fit(frame: pd.DataFrame, gap: str, estimator: str, confidence: float, rng, resamples: int,
         pooled: bool, effects=None) -> dict:
    col, var = gap_columns(gap)
    frame = frame.sort_values(["config", "ipc", "seed"]).reset_index(drop=True)
    k = frame["ipc"].to_numpy(float)
    out = _point(k, frame[col].to_numpy(float), estimator, frame[var], confidence)
    out.update(**_intervals({}, confidence), **_chosen_intervals(None, out, confidence),
               bootstrap_unit="none", bootstrap_df=0, interval_holds_fixed="")
    if np.unique(k).size < 2 or resamples < 10:
        return out
    resampled = (config_replicates if pooled else measurement_replicates)(frame, gap, rng, resamples,
                                                                          effects=effects)
    if resampled is None:
        return out
    replicates = _estimates(k, resampled.values)
    out.update(**_intervals(replicates, confidence, resampled),
               **_chosen_intervals(replicates, out, confidence, resampled),
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
        if frame["config"].nunique() == 1:  # no family to resample: the pooled fit is the configuration's own
            rows.append({**rows[-1], "config": POOLED})
            continue
        rows.append({"dataset": dataset, "method": method, "label_regime": regime, "config": POOLED, "gap": gap,
                     **_fit(frame, gap, estimator, confidence, rng, resamples, True, effects)})
    return pd.DataFrame(rows)
