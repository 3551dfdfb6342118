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
therefore fitted on the mean Y over the draws at each (k, m), by OLS with HC3
standard errors, and n counts those means; the cloud is kept for the figure.
"""

from __future__ import annotations

import itertools
import logging
import math
import zlib

import numpy as np
import pandas as pd

from .linear_fit import fit_line
from .scaling_fit import gap_columns

log = logging.getLogger(__name__)

STATISTICS = {"max": np.max, "mean": np.mean}
CLOUD_COLUMNS = ["dataset", "method", "n_configs", "ipc", "m", "draw", "x", "y"]
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
    rng = np.random.default_rng([seed, zlib.crc32(key.encode()), m])
    return np.sort(np.argsort(rng.random((draws, n_configs)), axis=1)[:, :m], axis=1)


def subset_cloud(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0,
                 statistic: str = "max", x_form: str = "log") -> pd.DataFrame:
    """One row per (dataset, method, k, m, draw): the subset's Y and its X."""
    reduce = STATISTICS[statistic]
    parts = []
    for (dataset, method), frame in gaps.groupby(["dataset", "method"], sort=True):
        matrix = delta_matrix(frame, gap)
        ipcs = matrix.index.to_numpy(float)
        n_configs = matrix.shape[1]
        for m in range(1, n_configs + 1):
            subsets = draw_subsets(n_configs, m, draws, seed, f"{dataset}/{method}")
            y = reduce(matrix.to_numpy()[:, subsets], axis=2)  # [k, subset]
            parts.append(pd.DataFrame({
                "dataset": dataset, "method": method, "n_configs": n_configs,
                "ipc": np.repeat(matrix.index.to_numpy(), len(subsets)), "m": m,
                "draw": np.tile(np.arange(len(subsets)), len(ipcs)),
                "x": np.repeat(np.sqrt(coverage_entropy(m, x_form) / ipcs), len(subsets)),
                "y": y.ravel()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CLOUD_COLUMNS)


def subset_means(cloud: pd.DataFrame) -> pd.DataFrame:
    """The mean Y over the draws at each (dataset, method, k, m): the points the law is fitted on."""
    keys = ["dataset", "method", "n_configs", "ipc", "m"]
    return (cloud.groupby(keys, sort=True)
            .agg(x=("x", "first"), y=("y", "mean"), y_sd=("y", "std"), draws=("y", "size"))
            .reset_index())


def coverage_table(points: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Y ~ X per (dataset, method), fitted on the per-(k, m) means (OLS, HC3)."""
    rows = []
    for (dataset, method), frame in points.groupby(["dataset", "method"], sort=True):
        rows.append({"dataset": dataset, "method": method, "n_configs": int(frame["n_configs"].iloc[0]),
                     **fit_line(frame["x"], frame["y"], "ols", confidence=confidence)})
    return pd.DataFrame(rows)


def coverage_law(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0,
                 statistic: str = "max", x_form: str = "log", confidence: float = 0.95):
    """The fits (settings recorded beside them), the per-(k, m) means and the subset cloud."""
    cloud = subset_cloud(gaps, gap, draws, seed, statistic, x_form)
    points = subset_means(cloud)
    fits = coverage_table(points, confidence).assign(gap=gap, statistic=statistic, x_form=x_form,
                                                     subsets=draws, subset_seed=seed)
    return fits, points, cloud
