"""Two methods measured on one evaluation family, resampled together: what every paired comparison needs.

Both methods are evaluated under the same configurations, and each Δ is taken
against the same full-data reference of its configuration. A difference
between them is therefore taken only where both were measured, the
configurations and the k both have, and its interval redraws both methods'
measurements (``bootstrap.measurement_replicates``) with the same draws of each
reference (``bootstrap.reference_deviations``): the reference then cancels in
the resampled difference as it does in the measured one. The interval of a
difference is the interval of the resampled differences, read with the
degrees of freedom of both methods' draws (``paired_units``).

The pool-versus-plain table (``robustness``) and the comparisons of every pair
of methods (``comparisons``) both use this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .bootstrap import (Replicates, bias_corrected_interval, joint, measurement_replicates, percentile_interval,
                        reference_deviations)
from .coverage_fit import coverage_coef_replicates, delta_matrix, subset_clouds, subset_means, two_term_fit
from .gaps import gap_columns

# statistics that are maxima over configurations, or fits to such maxima: biased upwards, so bias-corrected
MAXIMA = frozenset({"worst", "worst_in_pool", "worst_out_of_pool", "coverage_coef"})


def common_design(data: pd.DataFrame, methods, gap: str):
    """The rows of ``methods`` at the configurations and k every one of them has: (rows, configs, ipcs).

    None where one of the methods has no rows. A configuration counts where the
    method has it at every k (``delta_matrix``), so that a worst Δ means the same
    configurations for both.
    """
    rows = data[data["method"].isin(methods)]
    if set(rows["method"]) != set(methods):
        return None
    configs = None
    for method in methods:
        have = delta_matrix(rows[rows["method"] == method], gap).columns
        configs = have if configs is None else configs.intersection(have)
    ks = rows.groupby("method")["ipc"].unique()
    ipcs = sorted(set.intersection(*(set(ks[m]) for m in methods)))
    configs = sorted(configs)
    return rows[rows["config"].isin(configs) & rows["ipc"].isin(ipcs)], configs, ipcs


def cell_means(frame: pd.DataFrame, values: np.ndarray, configs: list[str], ipcs: list[int]) -> np.ndarray:
    """[B, k, configuration] means over distilled sets of per-row values [B, rows]."""
    cells = np.zeros((values.shape[0], len(ipcs), len(configs)))
    counts = np.zeros((len(ipcs), len(configs)))
    k_at = frame["ipc"].map({k: i for i, k in enumerate(ipcs)}).to_numpy()
    c_at = frame["config"].map({c: i for i, c in enumerate(configs)}).to_numpy()
    np.add.at(cells, (slice(None), k_at, c_at), values)
    np.add.at(counts, (k_at, c_at), 1)
    return cells / counts


def shared_reference_draws(rows: pd.DataFrame, gap: str, rng, resamples: int) -> dict | None:
    """The reference draws both methods take (``bootstrap.reference_deviations``); None: no bootstrap.

    A table without the references' eval-seed variances gets none ({}): its
    distilled sets can still be resampled, and the fixed reference cancels.
    """
    if resamples < 10:
        return None
    col, _ = gap_columns(gap)
    if f"ref_{col.removeprefix('delta_')}_var" not in rows or "n_ref" not in rows:
        return {}
    return reference_deviations(rows, gap, rng, resamples)


@dataclass
class Family:
    """One method's measured family: its Δ cells [k, configuration], redrawn [B, k, configuration], and c."""

    frame: pd.DataFrame
    cells: np.ndarray
    coverage_coef: float
    resampled: Replicates | None = None
    redrawn: np.ndarray | None = None
    coverage_coef_draws: np.ndarray | None = None


def measured_family(rows: pd.DataFrame, method: str, configs: list[str], ipcs: list[int], gap: str, rng,
                    resamples: int, reference_draws: dict | None, draws: int, seed: int, statistic: str,
                    x_form: str, subsets_of: str) -> Family:
    """The cells and the coverage coefficient of ``method`` in ``rows``, redrawn where ``reference_draws`` is set.

    c is the two-term coverage law's (``coverage_fit``), on the subsets of
    configurations that ``coverage_fit`` draws for method ``subsets_of``: the
    same subsets for both methods of a pair and for every redrawn family, so
    that where there are more subsets than are drawn, which ones were drawn
    does not enter the difference.
    """
    col, _ = gap_columns(gap)
    frame = rows[rows["method"] == method].sort_values(["config", "ipc", "seed"]).reset_index(drop=True)
    cells = cell_means(frame, frame[col].to_numpy(float)[None], configs, ipcs)[0]
    cloud, matrices, _ = subset_clouds(frame.assign(method=subsets_of), gap, draws, seed, statistic, x_form)
    points = subset_means(cloud)
    family = Family(frame, cells, two_term_fit(points)["coverage_coef"])
    if reference_draws is None:
        return family
    family.resampled = measurement_replicates(frame, gap, rng, resamples, reference_draws or None)
    if family.resampled is not None:
        family.redrawn = cell_means(frame, family.resampled.values, configs, ipcs)
        (dataset,) = frame["dataset"].unique()
        subsets = matrices[(dataset, subsets_of)][1]
        family.coverage_coef_draws = coverage_coef_replicates(family.redrawn, subsets, points, statistic)
    return family


def paired_units(*resampled: Replicates | None) -> Replicates | None:
    """The units a difference's interval reads; None if one is missing.

    Where the draws carry normal weights (``bootstrap.Replicates``), both
    methods' weights (``bootstrap.joint``), from which each statistic finds its
    own degrees of freedom; else the coarser units, with the fewest.
    """
    if any(r is None for r in resampled):
        return None
    if any(r.weights is not None for r in resampled):
        first, *rest = resampled
        for other in rest:
            first = joint(first, other)
        return first
    return min(resampled, key=lambda r: r.df)


def at_one_k(resampled: Replicates | None) -> Replicates | None:
    """The units of a statistic of one k: where sets are resampled within each k, that k's n sets alone.

    A set replicate's degrees of freedom, k levels × (n − 1), are those of a
    statistic of every k; one k's worst or mean Δ rests on its own n sets.
    Eval-seed draws share each configuration's pooled variance at every k and
    keep theirs. Weighted draws need nothing: each statistic's df follows from
    the weights it leans on (``bootstrap.Replicates.statistic_spread``).
    """
    if resampled is None or resampled.n is None or resampled.weights is not None:
        return resampled
    return Replicates(None, resampled.unit, resampled.n - 1, resampled.n)


def interval(samples, confidence: float, resampled: Replicates | None) -> tuple[float, float]:
    """The percentile interval of ``samples`` over the units of ``resampled`` (NaN without units, and where
    every resample gives one value, as two floors both at their bound do: no interval of zero width)."""
    if samples is None or resampled is None or np.ptp(np.asarray(samples, dtype=float)) == 0:
        return math.nan, math.nan
    return percentile_interval(samples, confidence, resampled.df, resampled.n, resampled)


def corrected(samples, estimate: float, confidence: float, resampled: Replicates | None) -> tuple[float, float, float]:
    """(point, low, high) of a biased statistic, or a difference of two: bias-corrected, as ``coverage_fit``'s c.

    A worst Δ over configurations is the max of noisy cell means, which lies
    above the max of their true values, and its resamples lie above it in turn:
    the percentile interval alone sits above the measured worst Δ, and left it
    outside on the default run. Such statistics (``MAXIMA``) are read this way.
    """
    if samples is None or resampled is None:
        return estimate, math.nan, math.nan
    return bias_corrected_interval(samples, estimate, confidence, resampled.df, resampled.n, resampled)


def estimate_interval(name: str, samples, estimate: float, confidence: float,
                      resampled: Replicates | None) -> tuple[float, float, float]:
    """(point, low, high) of statistic ``name``: bias-corrected where it is one of ``MAXIMA``, else the estimate
    and its percentile interval."""
    if name in MAXIMA:
        return corrected(samples, estimate, confidence, resampled)
    return (estimate, *interval(samples, confidence, resampled))


def bootstrap_pvalue(estimate: float, samples, resampled: Replicates | None) -> float:
    """Two-sided p of "no difference", from the resampled differences' standard error.

    The resampled differences, centred on their mean, stand for the estimate's
    distribution under no difference; their spread is the standard error se,
    and t = estimate / se is read as the expanded percentile interval reads its
    tails (``bootstrap.tail_probability``): p = 2·T_df(−|t| / √(n / (n − 1))).
    So p < 1 − confidence exactly where estimate ± √(n / (n − 1))·t_df·se, the
    expanded interval of a normal bootstrap distribution, misses 0. Counting
    the resamples past 0 instead, 2·min(P*(d* ≤ 0), P*(d* ≥ 0)), cannot go
    below about 2/B, and Holm over tens of comparisons asks for smaller
    p-values than a thousand resamples can count.
    """
    samples = np.asarray(samples if samples is not None else [], dtype=float)
    samples = samples[np.isfinite(samples)]
    if (resampled is None or samples.size < 10 or not np.isfinite(estimate) or resampled.df < 1
            or (resampled.n is not None and resampled.n < 2)):
        return math.nan
    se = float(samples.std(ddof=1))
    if se == 0:
        return 1.0 if estimate == 0 else 0.0
    if resampled.weights is not None:
        df, factor = resampled.statistic_spread(samples)
    else:
        df, factor = resampled.df, 1.0 if resampled.n is None else math.sqrt(resampled.n / (resampled.n - 1))
    return float(2 * stats.t.cdf(-abs(estimate) / se / factor, df))
