"""The size planner: how many images per class a target worst-case gap over a family of configurations needs.

Before spending a GPU-week a user asks for the k that keeps the gap below ε
under every configuration they will train with. Per (dataset, method, label
regime) and target ε the planner reads it off the curve the required size is
read off (``required_size``): the worst (``laws.statistic``) Δ over the
planned family at each measured k, fitted as Y(k) = a + b/√k and inverted,
k* = (b / (ε − a))² (``scaling_fit.required_ipc``).

* **Interval.** The family's measurements are redrawn over their units
  (``coverage_fit.replicate_matrices``), each redrawn worst curve refitted and
  inverted. A worst Δ is a max of noisy cells, biased upwards, and its
  redraws more so: read raw, the planned k fell below its own interval for
  three of five methods on the default run. So the worst Δ at each k is
  bias-corrected (less the redraws' median excess over it) and the redraws
  moved down by twice that excess, as ``paired.MAXIMA`` are; the interval is
  the resamples' own percentiles, a resample whose curve never comes down to ε
  counted as needing k = ∞ (so the upper end is ∞ where more than
  (1 − confidence)/2 of them do not reach it). k is no smooth
  function of the fit near a floor close to ε, which is why the percentiles
  are not stretched as the parameters' intervals are.
* **Status.** ``target_status`` is ``required_size``'s (reachable, or why not);
  ``k_status`` is ``scaling_fit.size_status`` against the measured k and the
  dataset's images per class. ``reading`` says what the number is: a
  ``finding`` only at a measured or interpolated k, and only where the curve
  predicts the measured k it is not fitted on (``oos_predicts``), else a
  ``prediction``.
* **Measured.** ``k_measured`` is the smallest measured k whose worst Δ, as
  measured (a max, so biased up: a cautious reading), is already at or below
  the target; no curve is involved.
* **Warning.** Beside every k, the leave-one-k-out check of the same curve on
  the same family (``prediction.worst_checks``): its mean absolute error, the
  share of held-out k inside their prediction intervals, and the error at the
  largest k when it is left out, the one extrapolation the data can check.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .bootstrap import keyed_rng
from .coverage_fit import STATISTICS, delta_matrix, replicate_matrices
from .power_law import line_fit
from .prediction import summarise, worst_checks
from .required_size import required_size_table
from .scaling_fit import required_ipc, size_status, whole_k

FINDINGS = ("measured", "interpolated")
COLUMNS = ["dataset", "method", "label_regime", "family", "n_configs", "target_gap", "target_status", "k_required",
           "k_whole", "k_ci_low", "k_ci_high", "k_status", "reading", "k_measured", "ipcs", "train_per_class",
           "oos_mean_abs_error", "oos_inside_share", "oos_n", "oos_headline_error", "oos_headline_inside",
           "oos_predicts", "bootstrap_unit"]


def family_configs(matrix: pd.DataFrame, family) -> list[str]:
    """The configurations of ``plan.family`` this method has at every k: all of them, or the named ones."""
    return list(matrix.columns) if family == "all" else [c for c in family if c in matrix.columns]


def size_interval(draws, confidence: float) -> tuple[float, float]:
    """The percentile interval of k* over resamples (NaN: the target not reached, counted as k = ∞)."""
    draws = np.where(np.isfinite(draws), draws, np.inf)
    if draws.size < 10:
        return math.nan, math.nan
    tail = (1 - confidence) / 2
    return (float(np.quantile(draws, tail, method="lower")), float(np.quantile(draws, 1 - tail, method="higher")))


def _warning(checks: list[dict], confidence: float) -> dict:
    """The leave-one-k-out record of the planned curve: summary numbers, and the largest k held out."""
    out = {"oos_mean_abs_error": math.nan, "oos_inside_share": math.nan, "oos_n": 0, "oos_headline_error": math.nan,
           "oos_headline_inside": np.nan, "oos_predicts": np.nan}
    if not checks:
        return out
    rows = pd.DataFrame(checks).assign(dataset="", method="", label_regime="", source_method="")
    summary = summarise(rows, confidence).iloc[0]
    headline = rows[rows["headline"].astype(bool)].iloc[0]
    out.update(oos_mean_abs_error=summary["mean_abs_error"], oos_inside_share=summary["inside_share"],
               oos_n=int(summary["n_predictions"]), oos_headline_error=headline["error"],
               oos_headline_inside=headline["inside"], oos_predicts=summary["predicts"])
    return out


def _reading(status: str, predicts) -> str:
    """``finding`` for a k inside the measured range read off a curve that predicts the measured k it did not see
    (``oos_predicts``); ``none`` where the curve never gets there; else ``prediction``. A curve that misses
    the k left out (on the default run, the worst Δ of DM, whose k = 1 holds a configuration trained to
    chance) can put an interpolated k where the measured worst Δ is still above the target."""
    if status == "none":
        return "none"
    return "finding" if status in FINDINGS and str(predicts) == "True" else "prediction"


def per_class_sizes(references: pd.DataFrame) -> dict:
    """Each dataset's training images per class (its smallest class), from the reference table; {} where it is
    not given, as in a table of accuracies measured elsewhere."""
    if "train_per_class" not in references:
        return {}
    return references.groupby("dataset")["train_per_class"].min().to_dict()


def planner_table(gaps: pd.DataFrame, targets, family="all", per_class: dict | None = None, gap: str = "error",
                  statistic: str = "max", confidence: float = 0.95, resamples: int = 1000,
                  bootstrap_seed: int = 0) -> pd.DataFrame:
    """One row per (dataset, method, label regime, target): the planned k, its interval, status and warning.

    ``per_class`` maps a dataset to its training images per class, for ``beyond_dataset``.
    """
    rows = []
    reduce = STATISTICS[statistic]
    for (dataset, method, regime), frame in gaps.groupby(["dataset", "method", "label_regime"], sort=True):
        rng = keyed_rng(bootstrap_seed, f"planner/{dataset}/{regime}/{method}")
        matrix = delta_matrix(frame, gap)
        configs = family_configs(matrix, family)
        if not configs:
            continue
        matrix = matrix[configs]
        levels = matrix.index.to_numpy()
        measured = [int(k) for k in levels]
        y = reduce(matrix.to_numpy(float), axis=1)
        raw = y.copy()
        redrawn = replicate_matrices(frame, gap, matrix, rng, resamples) if resamples >= 10 else None
        fits = None
        if redrawn is not None:
            # a worst Δ is a max of noisy cells, biased up (paired.MAXIMA): corrected at each k, as it is there
            redrawn_worst = reduce(redrawn[0], axis=2)
            bias = np.median(redrawn_worst, axis=0) - y
            y, redrawn_worst = y - bias, redrawn_worst - 2 * bias
            intercept, slope, _ = line_fit(1.0 / np.sqrt(levels.astype(float)), redrawn_worst, floor_at_zero=False)
            fits = intercept[:, 0], slope[:, 0]
        worst = pd.DataFrame({"dataset": dataset, "method": method, "n_configs": len(configs), "m": len(configs),
                              "ipc": levels, "y": y})
        warning = _warning(worst_checks(frame, gap, statistic, confidence, resamples, rng, configs), confidence)
        n = (per_class or {}).get(dataset, math.nan)
        for target in targets:
            required = required_size_table(worst, target, confidence=confidence).iloc[0]
            k = float(required["k_required"])
            low, high = (math.nan, math.nan) if fits is None else size_interval(required_ipc(*fits, target),
                                                                                  confidence)
            status = size_status(k, measured, n)
            reached = [int(level) for level, value in zip(levels, raw) if value <= target]
            rows.append({"dataset": dataset, "method": method, "label_regime": regime,
                         "family": "all" if family == "all" else " ".join(configs), "n_configs": len(configs),
                         "target_gap": float(target), "target_status": required["status"], "k_required": k,
                         "k_whole": whole_k(k) if np.isfinite(k) else math.nan, "k_ci_low": low, "k_ci_high": high,
                         "k_status": status,
                         "reading": _reading(status, warning["oos_predicts"]),
                         "k_measured": min(reached) if reached else math.nan,
                         "ipcs": " ".join(str(k) for k in measured), "train_per_class": n, **warning,
                         "bootstrap_unit": "none" if redrawn is None else redrawn[1].unit})
    return pd.DataFrame(rows, columns=COLUMNS)
