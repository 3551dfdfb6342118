"""The coverage law: the worst gap over m configurations grows like √(log m)/√k.

Per (dataset, method) the Δ table becomes a matrix with one row per k and one
column per configuration, each cell the mean over distillation seeds. For every
m = 1 … M, subsets of m configurations are drawn: all C(M, m) of them when there
are no more than B (so m = M is the one full family), else B random draws. The
draws depend only on the seed, the (dataset, method) and m, so adding a method
does not change another's subsets, and the same subsets serve every k. A
subset's Y is the max of its cells (the uniform bound the law is about) or
their mean; X = √H/√k with H = log m (X = 0 at m = 1) or log(1 + m).

Subsets overlap, so their Y values are not independent observations, and
fitting the cloud would count each configuration many times over. The law is
therefore fitted on the mean Y over the draws at each (k, m); n counts those
means, and the cloud is kept for the figure. Two models are fitted:

* the one-term reading of the paper's Fig. 3, Y = a + s·√H/√k (OLS, HC3);
* the two-term law Y = a + b/√k + c·√H/√k, the form of a uniform bound: a
  single-configuration term, which at m = 1 (X = 0) still falls with k, plus
  the coverage term. c is the *coverage coefficient* of this family; its
  interval redraws the family's measurements (distilled sets, or eval seeds
  and the effects of one set per k, ``bootstrap``) and refills the same
  subsets with them. A max over subsets of noisy Δ is biased upwards, the more
  so the nearer the configurations, so ``coverage_coef`` is bias-corrected
  (``bootstrap.bias_corrected_interval``) and the fit to the measured Δ is kept
  as ``coverage_coef_raw``: that fit can lie outside any interval that covers
  the noise-free c, as random's did on one seed (0.0220 against 0.0228–0.0422).
  A shift shared by every configuration at a k leaves c unchanged (its
  column, centred within each k, is orthogonal to every function of k alone),
  so the set effects of one set per k cost c no degrees of freedom:
  ``Replicates.statistic_df`` finds them no share.

The two-term law is also fitted with each subset's coverage entropy estimated
from the data (``config_entropy``) in place of log m, to compare the two.
"""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np
import pandas as pd

from scipy import stats
import statsmodels.api as sm

from .bootstrap import bias_corrected_interval, keyed_rng, measurement_replicates
from .config_entropy import DEFAULT_RADIUS, family_entropy, subset_entropies
from .linear_fit import fit_line
from .gaps import gap_columns

log = logging.getLogger(__name__)

STATISTICS = {"max": np.max, "mean": np.mean}
CLOUD_COLUMNS = ["dataset", "method", "n_configs", "ipc", "m", "draw", "x", "y", "entropy", "x_entropy"]
ENTROPY = {"log": np.log, "log1p": np.log1p}
ENTROPY_NAMES = {"log": "log m", "log1p": "log(1 + m)"}


def coverage_entropy(m, x_form: str = "log"):
    """H(m), the coverage entropy of m configurations: log m or log(1 + m)."""
    return ENTROPY[x_form](np.asarray(m, dtype=float))


def delta_matrix(frame: pd.DataFrame, gap: str = "error") -> pd.DataFrame:
    """Δ per k (rows) and configuration (columns), the mean over distillation seeds.

    A configuration missing at some k is dropped (and logged): a subset must
    mean the same configurations at every k.
    """
    col, _ = gap_columns(gap)
    matrix = frame.pivot_table(index="ipc", columns="config", values=col, aggfunc="mean").sort_index()
    incomplete = matrix.columns[matrix.isna().any()]
    if len(incomplete):
        log.warning("configurations missing at some k, left out of the coverage law: %s", list(incomplete))
    return matrix.drop(columns=incomplete)


def draw_subsets(n_configs: int, m: int, draws: int, seed: int, key: str = "") -> np.ndarray:
    """Column indices of the subsets of size m, one sorted row per subset.

    All combinations when there are no more than ``draws``, else ``draws``
    random subsets from a generator seeded by (seed, key, m).
    """
    if math.comb(n_configs, m) <= draws:
        return np.array(list(itertools.combinations(range(n_configs), m)), dtype=int).reshape(-1, m)
    rng = keyed_rng(seed, key, m)
    return np.sort(np.argsort(rng.random((draws, n_configs)), axis=1)[:, :m], axis=1)


def _method_cloud(dataset: str, method: str, matrix: pd.DataFrame, reduce, draws: int, seed: int,
                  x_form: str, entropy: dict):
    """The subset cloud of one (dataset, method), and its subsets per m."""
    ipcs = matrix.index.to_numpy(float)
    n_configs = matrix.shape[1]
    family = entropy.get("configs", [])
    where = [family.index(c) if c in family else -1 for c in matrix.columns]
    parts, subsets_by_m = [], {}
    for m in range(1, n_configs + 1):
        subsets = draw_subsets(n_configs, m, draws, seed, f"{dataset}/{method}")
        subsets_by_m[m] = subsets
        y = reduce(matrix.to_numpy()[:, subsets], axis=2)  # [k, subset]
        if min(where) >= 0:
            h = subset_entropies(entropy["distances"], np.asarray(where)[subsets], entropy["entropy_radius"])
        else:
            h = np.full(len(subsets), np.nan)
        parts.append(pd.DataFrame({
            "dataset": dataset, "method": method, "n_configs": n_configs,
            "ipc": np.repeat(matrix.index.to_numpy(), len(subsets)), "m": m,
            "draw": np.tile(np.arange(len(subsets)), len(ipcs)),
            "x": np.repeat(np.sqrt(coverage_entropy(m, x_form) / ipcs), len(subsets)),
            "y": y.ravel(), "entropy": np.tile(h, len(ipcs)),
            "x_entropy": (np.sqrt(h)[None, :] / np.sqrt(ipcs)[:, None]).ravel()}))
    return parts, subsets_by_m


def subset_cloud(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0,
                 statistic: str = "max", x_form: str = "log", radius: float = DEFAULT_RADIUS) -> pd.DataFrame:
    """One row per (dataset, method, k, m, draw): the subset's Y, its X, and its entropy from the data."""
    return subset_clouds(gaps, gap, draws, seed, statistic, x_form, radius)[0]


def subset_clouds(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0, statistic: str = "max",
                  x_form: str = "log", radius: float = DEFAULT_RADIUS):
    """The cloud, and per (dataset, method) the Δ matrix and subsets the bootstrap refills; the family entropies."""
    reduce = STATISTICS[statistic]
    col, _ = gap_columns(gap)
    parts, matrices, entropies = [], {}, {}
    for dataset, data in gaps.groupby("dataset", sort=True):
        entropies[dataset] = family_entropy(data, col, radius)
        for method, frame in data.groupby("method", sort=True):
            matrix = delta_matrix(frame, gap)
            cloud, subsets = _method_cloud(dataset, method, matrix, reduce, draws, seed, x_form, entropies[dataset])
            parts += cloud
            matrices[(dataset, method)] = (matrix, subsets)
    cloud = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CLOUD_COLUMNS)
    return cloud, matrices, entropies


def subset_means(cloud: pd.DataFrame) -> pd.DataFrame:
    """The mean Y over the draws at each (dataset, method, k, m): the points the law is fitted on."""
    keys = ["dataset", "method", "n_configs", "ipc", "m"]
    return (cloud.groupby(keys, sort=True)
            .agg(x=("x", "first"), y=("y", "mean"), y_sd=("y", "std"), draws=("y", "size"),
                 entropy=("entropy", "mean"), x_entropy=("x_entropy", "mean"))
            .reset_index())


def _design(points: pd.DataFrame, x: str = "x") -> np.ndarray:
    """The two-term model's design: 1, 1/√k, √H/√k."""
    return np.column_stack([np.ones(len(points)), 1.0 / np.sqrt(points["ipc"].to_numpy(float)),
                            points[x].to_numpy(float)])


def two_term_fit(points: pd.DataFrame, x: str = "x") -> dict:
    """Y = a + b/√k + c·√H/√k by OLS on the per-(k, m) means, with the F-test against the one-term fit.

    The one-term fit Y = a + s·√H/√k is this model with b = 0, so the partial F
    (one numerator degree of freedom) says whether the single-configuration
    term is needed; AIC is given for both.
    """
    out = dict.fromkeys(("two_term_intercept", "two_term_k_coef", "coverage_coef", "r2_two_term",
                         "two_term_pvalue", "aic_one_term", "aic_two_term"), math.nan)
    y = points["y"].to_numpy(float)
    design = _design(points, x)
    if len(y) < 5 or np.linalg.matrix_rank(design) < 3:
        return out
    two = sm.OLS(y, design).fit()
    one = sm.OLS(y, design[:, [0, 2]]).fit()
    f_stat = (one.ssr - two.ssr) / (two.ssr / two.df_resid) if two.ssr > 0 else math.inf
    out.update(two_term_intercept=float(two.params[0]), two_term_k_coef=float(two.params[1]),
               coverage_coef=float(two.params[2]), r2_two_term=float(two.rsquared),
               two_term_pvalue=float(stats.f.sf(f_stat, 1, two.df_resid)),
               aic_one_term=float(one.aic), aic_two_term=float(two.aic))
    return out


def replicate_matrices(frame: pd.DataFrame, gap: str, matrix: pd.DataFrame, rng, resamples: int, effects=None):
    """Δ [B, k, configuration] of one (dataset, method) redrawn over its measurement units, or None.

    The units are those of ``bootstrap.measurement_replicates`` (``effects``: the
    set effects it draws, where they are not to be estimated from ``frame``);
    each cell is the mean over distilled sets, as in ``delta_matrix``.
    """
    frame = frame[frame["config"].isin(matrix.columns)].sort_values(["config", "ipc", "seed"])
    frame = frame.reset_index(drop=True)
    resampled = measurement_replicates(frame, gap, rng, resamples, effects=effects)
    if resampled is None:
        return None
    cells = frame.groupby(["config", "ipc"], sort=True).ngroup().to_numpy()
    sums = np.zeros((resamples, cells.max() + 1))
    np.add.at(sums, (slice(None), cells), resampled.values)
    means = sums / np.bincount(cells)
    n_k, n_configs = matrix.shape
    return means.reshape(resamples, n_configs, n_k).transpose(0, 2, 1), resampled


def subset_mean_replicates(family: np.ndarray, subsets: dict, points: pd.DataFrame, statistic: str) -> np.ndarray:
    """The mean Y at each of ``points``' (k, m), [B, points], refilled from every redrawn Δ matrix
    [B, k, configuration] with the same subsets."""
    reduce = STATISTICS[statistic]
    levels = {ipc: i for i, ipc in enumerate(sorted(points["ipc"].unique()))}
    means = {m: reduce(family[:, :, rows], axis=3).mean(axis=2) for m, rows in subsets.items()}  # [B, k]
    return np.stack([means[m][:, levels[ipc]] for ipc, m in zip(points["ipc"], points["m"])], axis=1)


def two_term_coefficients(points: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    """(a, b, c) of Y = a + b/√k + c·√H/√k by least squares on every row of y [B, points], [B, 3]."""
    return y @ np.linalg.pinv(_design(points)).T


def coverage_coef_replicates(family: np.ndarray, subsets: dict, points: pd.DataFrame, statistic: str) -> np.ndarray:
    """c of the two-term fit on every redrawn Δ matrix [B, k, configuration], with the same subsets."""
    return two_term_coefficients(points, subset_mean_replicates(family, subsets, points, statistic))[:, 2]


def coverage_table(points: pd.DataFrame, confidence: float = 0.95, replicates: dict | None = None,
                   statistic: str = "max") -> pd.DataFrame:
    """Per (dataset, method): the one-term and the two-term law, and the two-term law on the data's entropy.

    ``replicates`` maps (dataset, method) to (redrawn Δ matrices, their
    ``bootstrap.Replicates``, the subsets per m) for the interval of c.
    """
    rows = []
    for (dataset, method), frame in points.groupby(["dataset", "method"], sort=True):
        row = {"dataset": dataset, "method": method, "n_configs": int(frame["n_configs"].iloc[0]),
               **fit_line(frame["x"], frame["y"], "ols", confidence=confidence), **two_term_fit(frame)}
        entropic = two_term_fit(frame, "x_entropy") if frame["x_entropy"].notna().all() else {}
        row.update(coverage_coef_entropy=entropic.get("coverage_coef", math.nan),
                   r2_two_term_entropy=entropic.get("r2_two_term", math.nan))
        raw, point, low, high, fixed = row["coverage_coef"], row["coverage_coef"], math.nan, math.nan, ""
        found = (replicates or {}).get((dataset, method))
        if found is not None and not math.isnan(raw):
            family, resampled, subsets = found
            reps = coverage_coef_replicates(family, subsets, frame, statistic)
            point, low, high = bias_corrected_interval(reps, raw, confidence, resampled.df, resampled.n, resampled)
            fixed = resampled.holds_fixed
        row.update(coverage_coef=point, coverage_coef_raw=raw, coverage_coef_ci_low=low, coverage_coef_ci_high=high,
                   interval_holds_fixed=fixed)
        rows.append(row)
    return pd.DataFrame(rows)


def coverage_law(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0,
                 statistic: str = "max", x_form: str = "log", confidence: float = 0.95,
                 resamples: int = 1000, bootstrap_seed: int = 0, radius: float = DEFAULT_RADIUS):
    """The fits (settings and the family's entropy recorded beside them), the per-(k, m) means and the cloud."""
    cloud, matrices, entropies = subset_clouds(gaps, gap, draws, seed, statistic, x_form, radius)
    points = subset_means(cloud)
    replicates = {}
    for (dataset, method), (matrix, subsets) in matrices.items():
        frame = gaps[(gaps["dataset"] == dataset) & (gaps["method"] == method)]
        rng = keyed_rng(bootstrap_seed, f"{dataset}/{method}")
        redrawn = replicate_matrices(frame, gap, matrix, rng, resamples) if resamples >= 10 else None
        if redrawn is not None:
            replicates[(dataset, method)] = (*redrawn, subsets)
    fits = coverage_table(points, confidence, replicates, statistic)
    family = pd.DataFrame([{"dataset": d, **{k: v for k, v in e.items() if k not in ("configs", "distances")}}
                           for d, e in entropies.items()])
    if len(fits):
        fits = fits.merge(family, on="dataset", how="left")
    return fits.assign(gap=gap, statistic=statistic, x_form=x_form, subsets=draws, subset_seed=seed,
                       resamples=resamples), points, cloud
