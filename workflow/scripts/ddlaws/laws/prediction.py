"""Does a law predict what was not used to fit it? Out-of-sample checks of the scaling and coverage laws.

Every other table fits a law to all its points and says how well the curve
describes them. Here each law is fitted without some of them and asked for
the ones it did not see:

* ``scaling``: per (dataset, method, label regime), the pooled scaling law
  fitted on every k but one, each k in turn (leave-one-k-out), predicts the
  family's mean Δ at the k left out; holding out the largest k, a size beyond
  those fitted, is the ``headline`` case. For the chosen shape
  (``model_choice``, chosen again in every resample as ``scaling_fit`` does)
  and for each shape alone: the line, the free exponent and the hinge.
* ``worst``: the same for the curve the required size is read off
  (``required_size``): the worst Δ over the family, Y_M(k) = a + b/√k.
* ``coverage``: the two-term coverage law fitted on the subsets of
  m ≤ M/2 configurations predicts the worst Δ over all M at each k: its growth
  in m carried to twice the configurations it was fitted on. The subsets
  together hold every configuration of the family, so what is out of sample is
  the size of the family, not its members.
* ``across methods``: method A's free exponent α, with method B's own floor and
  coefficient fitted on B's other k, predicts B's mean Δ at the k left out.
  The reading of GM, DM and MTT as surrogates of one objective says they share
  α; their floors and coefficients differ plainly, so only α is carried over.

**The prediction interval** carries the fit's uncertainty and the noise of a
new measurement, from the units every interval redraws
(``bootstrap.measurement_replicates``). Each resample redraws the fitted points
and the point predicted together (one draw of a configuration's reference for
both, as both are measured against it) and refits; the interval is the
prediction plus the percentile interval of the predictive roots, the redrawn
measurement's departure from the measured one less the refitted prediction's
from the prediction (Davison & Hinkley 1997, §6.3.3), stretched as every
interval here is (``bootstrap.percentile_interval``). With one set per k the
set effects are estimated on the fitted k alone and drawn afresh at the k left
out, with the variance τ²/k the fitted k imply (``SetEffects.extended``), so
the residual of the point left out never widens its own interval. Its
eval-seed variance, and with two or more sets per k the spread of its sets,
are read from the held-out measurement: they say how noisy it is, not where
it lies.

Each (law, model) gets a summary row (``ipc`` 0): the mean absolute error of
prediction, the share of held-out measurements inside their intervals, and
``predicts``: False where more of them fall outside than a calibrated interval
makes likely (the binomial tail at 1 − confidence misses per prediction below
1 − confidence, the held-out k taken as independent, which they are not
quite).

What the check cannot see: with one set per k, a curve that misses the fitted
k has its misfit read as set effects (``set_effects`` takes the residuals beyond
eval-seed noise for them), which widens every interval; such a law is flagged
only where it misses the held-out k by more than that.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .bootstrap import Replicates, keyed_rng, measurement_replicates, percentile_interval, set_effects
from .coverage_fit import (STATISTICS, delta_matrix, replicate_matrices, subset_clouds, subset_mean_replicates,
                           subset_means, two_term_coefficients)
from .gaps import gap_columns
from .model_choice import MODELS
from .power_law import ALPHA_GRID, fixed_exponent_fit, line_fit
from .scaling_fit import _estimates

SUMMARY_IPC = 0
# (floor, coefficient, α, breakpoint) of each shape in ``scaling_fit._estimates``; None: ½, or no breakpoint
CURVES = {"chosen": ("chosen_eps", "chosen_c", "chosen_alpha", "chosen_k"), "line": ("eps", "c", None, None),
          "free exponent": ("free_eps", "free_c", "alpha", None), "hinge": ("hinge_eps", "hinge_c", None, "hinge_k")}
COLUMNS = ["dataset", "method", "label_regime", "law", "model", "source_method", "ipc", "m", "fit_on", "headline",
           "shape", "predicted", "pi_low", "pi_high", "measured", "error", "inside", "n_predictions", "n_intervals",
           "mean_abs_error", "inside_share", "misses", "binomial_pvalue", "predicts", "bootstrap_unit",
           "interval_holds_fixed"]


def curve_at(k: float, floor, coefficient, alpha, k_break) -> np.ndarray:
    """floor + coefficient·max(k^(−α) − k_b^(−α), 0), elementwise; k_b NaN (the line, the free exponent): no drop."""
    floor, coefficient, alpha, k_break = (np.asarray(v, dtype=float) for v in (floor, coefficient, alpha, k_break))
    with np.errstate(invalid="ignore"):
        drop = np.where(np.isfinite(k_break), k_break ** -alpha, 0.0)
    return floor + coefficient * np.maximum(float(k) ** -alpha - drop, 0.0)


def shape_predictions(estimates: dict, k: float) -> dict:
    """Each fitted shape's Δ at k, [B], from ``scaling_fit._estimates``; a shape too few k could fit is left out."""
    out = {}
    for model, (floor, coefficient, alpha, k_break) in CURVES.items():
        if floor not in estimates:
            continue
        shape = estimates[floor].shape
        out[model] = curve_at(k, estimates[floor], estimates[coefficient],
                              estimates[alpha] if alpha else np.full(shape, 0.5),
                              estimates[k_break] if k_break else np.full(shape, np.nan))
    return out


def prediction_interval(point: float, draws, noise, confidence: float, resampled: Replicates | None,
                        df: float | None = None):
    """(low, high): the prediction plus the percentile interval of the predictive roots noise − (draws − point).

    ``df`` fixes the degrees of freedom the interval is stretched with (the set
    effects', where they are drawn); else each statistic finds its own from the
    draws' weights (``Replicates.statistic_spread``). A Satterthwaite df read
    off the draws weighs each variance by its estimate, so where τ̂² came out
    small by chance, as its K − 2 degrees of freedom (2, with four k fitted)
    make common, the set effects seem to matter little, the interval is
    stretched as if the noise were well known, and it is too narrow exactly
    where it is narrow already: with one set per k, such intervals held the
    held-out measurement in 88 % of 300 synthetic predictions, these in 95 %
    (``tests/test_prediction.py``).
    """
    if draws is None or noise is None or resampled is None or not np.isfinite(point):
        return math.nan, math.nan
    samples = point + noise - (np.asarray(draws) - point)
    if df is not None:
        return percentile_interval(samples, confidence, df, resampled.n)
    return percentile_interval(samples, confidence, resampled.df, resampled.n, resampled)


def held_out_effects(frame: pd.DataFrame, gap: str, held: int, rng, resamples: int):
    """The set effects of a one-set-per-k frame estimated without k = ``held`` and drawn at every k; None where
    the sets themselves are redrawn (two or more per k), ``False`` where the fitted k are too few to estimate
    them: drawing them from every k would read the held-out point's residual."""
    if frame.groupby("ipc")["seed"].nunique().max() != 1:
        return None
    effects = set_effects(frame[frame["ipc"] != held], gap, rng, resamples)
    return False if effects is None else effects.extended(frame["ipc"].unique(), rng)


@dataclass
class HeldOut:
    """One method's pooled points with one k left out: the fitted points, the measured mean at ``held``, and
    their joint redraws ([B, fitted rows] and [B] departures of the held-out mean from its measured value)."""

    held: int
    k: np.ndarray
    y: np.ndarray
    measured: float
    resampled: Replicates | None
    draws: np.ndarray | None = None
    noise: np.ndarray | None = None
    df: float | None = None


def held_out(frame: pd.DataFrame, gap: str, held: int, rng, resamples: int) -> HeldOut:
    """``frame`` (sorted by config, ipc, seed) split at k = ``held`` and redrawn over its measurement units."""
    col, _ = gap_columns(gap)
    k, y = frame["ipc"].to_numpy(float), frame[col].to_numpy(float)
    fit, out = k != held, k == held
    measured = float(y[out].mean())
    resampled = effects = None
    if resamples >= 10:
        effects = held_out_effects(frame, gap, held, rng, resamples)
        if effects is not False:
            resampled = measurement_replicates(frame, gap, rng, resamples, effects=effects)
    found = HeldOut(held, k[fit], y[fit], measured, resampled, df=effects.df if effects else None)
    if resampled is not None:
        found.draws = resampled.values[:, fit]
        found.noise = resampled.values[:, out].mean(axis=1) - measured
    return found


def _row(law: str, model: str, ipc: int, predicted: float, measured: float, interval: tuple, resampled, **more):
    low, high = interval
    known = np.isfinite(low) and np.isfinite(high)
    return {"law": law, "model": model, "ipc": int(ipc), "predicted": float(predicted), "measured": float(measured),
            "pi_low": low, "pi_high": high, "error": float(measured - predicted),
            "inside": bool(low <= measured <= high) if known else None,
            "bootstrap_unit": "none" if resampled is None else resampled.unit,
            "interval_holds_fixed": "" if resampled is None else resampled.holds_fixed, **more}


def _fitted_on(k) -> str:
    return "k = " + " ".join(str(int(v)) for v in np.unique(k))


def scaling_checks(split: HeldOut, largest: int, confidence: float) -> list[dict]:
    """The pooled shapes fitted without ``split.held``, each predicting the mean Δ there."""
    point_fit = _estimates(split.k, split.y[None], refine=True)
    point = shape_predictions(point_fit, split.held)
    draws = {} if split.draws is None else shape_predictions(_estimates(split.k, split.draws), split.held)
    chosen = MODELS[int(point_fit["chosen"][0])]
    return [_row("scaling", model, split.held, value[0], split.measured,
                 prediction_interval(value[0], draws.get(model), split.noise, confidence, split.resampled,
                                     split.df),
                 split.resampled, shape=chosen if model == "chosen" else model, fit_on=_fitted_on(split.k),
                 headline=split.held == largest)
            for model, value in point.items()]


def across_checks(split: HeldOut, source: str, alpha: float, alpha_draws, largest: int, confidence: float) -> dict:
    """Method ``source``'s exponent with this method's own floor and coefficient, fitted without ``split.held``."""
    eps, c, _ = fixed_exponent_fit(split.k, split.y[None], alpha)
    predicted = float(eps[0] + c[0] * split.held ** -alpha)
    draws = None
    if split.draws is not None and alpha_draws is not None:
        on_grid = np.abs(ALPHA_GRID[None, :] - np.asarray(alpha_draws)[:, None]).argmin(axis=1)
        eps_grid, c_grid, _ = line_fit(split.k[None, :] ** -ALPHA_GRID[:, None], split.draws)  # [B, grid]
        rows = np.arange(len(on_grid))
        draws = eps_grid[rows, on_grid] + c_grid[rows, on_grid] * split.held ** -ALPHA_GRID[on_grid]
    return _row("across methods", "free exponent", split.held, predicted, split.measured,
                prediction_interval(predicted, draws, split.noise, confidence, split.resampled, split.df),
                split.resampled,
                source_method=source, shape=f"α of {source}", fit_on=_fitted_on(split.k),
                headline=split.held == largest)


def worst_checks(frame: pd.DataFrame, gap: str, statistic: str, confidence: float, resamples: int, rng,
                 configs: list[str] | None = None) -> list[dict]:
    """Leave-one-k-out of Y(k) = a + b/√k, the worst (``statistic``) Δ over ``configs`` (None: the family)."""
    matrix = delta_matrix(frame, gap)
    matrix = matrix[[c for c in configs if c in matrix.columns]] if configs is not None else matrix
    levels = matrix.index.to_numpy()
    if len(levels) < 3 or matrix.shape[1] == 0:
        return []
    reduce = STATISTICS[statistic]
    worst = reduce(matrix.to_numpy(float), axis=1)
    z = 1.0 / np.sqrt(levels.astype(float))
    rows = []
    for i, held in enumerate(levels):
        fit = levels != held
        a, b, _ = line_fit(z[fit], worst[None, fit], floor_at_zero=False)
        predicted = float(a[0, 0] + b[0, 0] * z[i])
        redrawn = effects = None
        if resamples >= 10:
            effects = held_out_effects(frame[frame["config"].isin(matrix.columns)], gap, int(held), rng, resamples)
            if effects is not False:
                redrawn = replicate_matrices(frame, gap, matrix, rng, resamples, effects=effects)
        draws = noise = resampled = None
        if redrawn is not None:
            family, resampled = redrawn
            redrawn_worst = reduce(family, axis=2)  # [B, k]
            a_b, b_b, _ = line_fit(z[fit], redrawn_worst[:, fit], floor_at_zero=False)
            draws, noise = a_b[:, 0] + b_b[:, 0] * z[i], redrawn_worst[:, i] - worst[i]
        rows.append(_row("worst", "line", held, predicted, worst[i],
                         prediction_interval(predicted, draws, noise, confidence, resampled,
                                             effects.df if effects else None), resampled,
                         m=matrix.shape[1], fit_on=_fitted_on(levels[fit]), headline=held == levels.max(),
                         shape="Y = a + b/√k"))
    return rows


def coverage_checks(frame: pd.DataFrame, gap: str, matrix: pd.DataFrame, subsets: dict, points: pd.DataFrame,
                    statistic: str, confidence: float, resamples: int, rng) -> list[dict]:
    """The two-term coverage law fitted on the subsets of m ≤ M/2 configurations, predicting Y at m = M per k."""
    n_configs = matrix.shape[1]
    half = n_configs // 2
    fitted = points[points["m"] <= half]
    target = points[points["m"] == n_configs].sort_values("ipc")
    if half < 2 or len(fitted) < 5 or fitted["ipc"].nunique() < 2 or not len(target):
        return []
    ipc = target["ipc"].to_numpy(float)
    terms = np.column_stack([np.ones(len(target)), 1.0 / np.sqrt(ipc), target["x"].to_numpy(float)])
    predicted = terms @ two_term_coefficients(fitted, fitted["y"].to_numpy(float)[None])[0]
    measured = target["y"].to_numpy(float)
    draws = noise = resampled = None
    redrawn = replicate_matrices(frame, gap, matrix, rng, resamples) if resamples >= 10 else None
    if redrawn is not None:
        family, resampled = redrawn
        used = {m: rows for m, rows in subsets.items() if m <= half}
        coefficients = two_term_coefficients(fitted, subset_mean_replicates(family, used, fitted, statistic))
        levels = {k: i for i, k in enumerate(matrix.index)}
        at = [levels[k] for k in target["ipc"]]
        draws = coefficients @ terms.T  # [B, k]
        noise = STATISTICS[statistic](family[:, at, :], axis=2) - measured[None, :]
    return [_row("coverage", "two-term", k, predicted[i], measured[i],
                 prediction_interval(predicted[i], None if draws is None else draws[:, i],
                                     None if noise is None else noise[:, i], confidence, resampled),
                 resampled, m=n_configs, fit_on=f"m ≤ {half}", headline=False, shape="Y = a + b/√k + c·√H/√k")
            for i, k in enumerate(target["ipc"])]


def summarise(rows: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """One row (``ipc`` 0) per (dataset, method, label regime, law, model, source): the error and coverage of its
    predictions, and whether more of them missed their intervals than a calibrated interval makes likely."""
    keys = ["dataset", "method", "label_regime", "law", "model", "source_method"]
    out = []
    for values, group in rows.groupby(keys, sort=False, dropna=False):
        known = group["inside"].dropna().astype(bool)
        misses = int((~known).sum())
        pvalue = float(stats.binom.sf(misses - 1, len(known), 1 - confidence)) if len(known) else math.nan
        out.append({**dict(zip(keys, values)), "ipc": SUMMARY_IPC, "m": group["m"].iloc[0],
                    "shape": group["shape"].iloc[0] if group["shape"].nunique() == 1 else "varies",
                    "headline": False, "fit_on": "each fitted without its own point",
                    "n_predictions": len(group), "n_intervals": len(known),
                    "mean_abs_error": float(group["error"].abs().mean()),
                    "inside_share": float(known.mean()) if len(known) else math.nan, "misses": misses,
                    "binomial_pvalue": pvalue, "predicts": bool(pvalue >= 1 - confidence) if len(known) else None,
                    "bootstrap_unit": group["bootstrap_unit"].iloc[0],
                    "interval_holds_fixed": group["interval_holds_fixed"].iloc[0]})
    return pd.DataFrame(out)


def _method_alpha(frame: pd.DataFrame, gap: str, rng, resamples: int):
    """The pooled free exponent of one method on all its k, and its redraws over the method's units (or None)."""
    col, _ = gap_columns(gap)
    k = frame["ipc"].to_numpy(float)
    point = _estimates(k, frame[col].to_numpy(float)[None], refine=True)
    if "alpha" not in point:
        return math.nan, None
    resampled = measurement_replicates(frame, gap, rng, resamples) if resamples >= 10 else None
    return float(point["alpha"][0]), None if resampled is None else _estimates(k, resampled.values)["alpha"]


def prediction_table(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0,
                     statistic: str = "max", x_form: str = "log", confidence: float = 0.95, resamples: int = 1000,
                     bootstrap_seed: int = 0) -> pd.DataFrame:
    """Every held-out prediction of every law, and a summary row per (law, model) at ``ipc`` 0."""
    rows = []
    cloud, matrices, _ = subset_clouds(gaps, gap, draws, seed, statistic, x_form)
    points = subset_means(cloud)
    for (dataset, regime), data in gaps.groupby(["dataset", "label_regime"], sort=True):
        splits, alphas = {}, {}
        for method, frame in data.groupby("method", sort=True):
            frame = frame.sort_values(["config", "ipc", "seed"]).reset_index(drop=True)
            rng = keyed_rng(bootstrap_seed, f"prediction/{dataset}/{regime}/{method}")
            levels = sorted(frame["ipc"].unique())
            here = {"dataset": dataset, "method": method, "label_regime": regime}
            if len(levels) >= 4:  # three fitted k or more: the free exponent, and set effects with one set per k
                splits[method] = [held_out(frame, gap, held, rng, resamples) for held in levels]
                alphas[method] = _method_alpha(frame, gap, rng, resamples)
                rows += [{**here, **r} for split in splits[method] for r in scaling_checks(split, levels[-1],
                                                                                          confidence)]
            rows += [{**here, **r} for r in worst_checks(frame, gap, statistic, confidence, resamples, rng)]
            if (dataset, method) in matrices:
                matrix, subsets = matrices[(dataset, method)]
                mine = points[(points["dataset"] == dataset) & (points["method"] == method)]
                rows += [{**here, **r} for r in coverage_checks(frame, gap, matrix, subsets, mine, statistic,
                                                                confidence, resamples, rng)]
        for target, source in itertools.permutations(sorted(splits), 2):
            alpha, alpha_draws = alphas[source]
            if not np.isfinite(alpha):
                continue
            largest = max(split.held for split in splits[target])
            rows += [{"dataset": dataset, "method": target, "label_regime": regime,
                      **across_checks(split, source, alpha, alpha_draws, largest, confidence)}
                     for split in splits[target]]
    table = pd.DataFrame(rows, columns=COLUMNS)
    if not len(table):
        return table
    table["source_method"] = table["source_method"].fillna("")
    # True, False or none: not 1.0 and 0.0 beside the rows that have no verdict
    return pd.concat([table.astype({"inside": object, "predicts": object}),
                      summarise(table, confidence).astype({"predicts": object})], ignore_index=True)[COLUMNS]
