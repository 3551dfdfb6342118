"""Bootstrap intervals that resample the units that are actually independent.

The Δ of one distilled set under eight configurations come from the same
images, so they are not eight observations; the eval seeds of one trained set
are. Which units a fit resamples is therefore part of what its interval means.

* **Configurations** (a cluster bootstrap: a drawn configuration brings all its
  points) for the pooled scaling fit, whose parameters describe the family's
  average curve as a sample of configurations.
* **Distilled sets** (seeds), where every k has two or more: drawn within each
  k, the same draw for every configuration, since each set is evaluated under
  all of them.
* **Eval seeds**, where a k has one distilled set: each trained set's mean over
  its eval seeds, and its reference's, is redrawn from a normal law with the
  eval-seed variance of its configuration, pooled over all the configuration's
  sets and its reference. Three eval seeds are too few to resample from: the
  per-set variance then has two degrees of freedom, and a resampling or
  per-set interval covered a known coverage coefficient in 87–89 % of synthetic
  runs where this one covers it in 94 % (tests/test_calibration.py).

The coverage coefficient is a fit to the max over subsets of one family, so
its interval is over the measurement units (eval seeds or sets) of that
family: resampling configurations with replacement puts repeated
configurations into subsets, which biases their max downwards, and such
intervals covered the population's coefficient in only 74 % of synthetic runs.

The interval is the *expanded percentile* interval (Hesterberg, 2015). A plain
percentile interval over n resampled units is too narrow when n is small: the
bootstrap variance of a mean is (n − 1)/n of the true one, and its tails are
normal where Student's t applies. The expanded interval reads the bootstrap
distribution at the tail probability

    α' = Φ(−√(n / (n − 1)) · t_df(1 − α/2)),

with n the units per resampled group (no factor for normal draws) and df the
degrees of freedom the units leave. It keeps what makes percentile intervals
fit a bounded floor: they respect ε ≥ 0 and follow monotone transforms.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd
from scipy import stats

from .gaps import gap_columns


def keyed_rng(seed: int, key: str, *more: int) -> np.random.Generator:
    """A generator seeded by (seed, key, more): each (dataset, method) draws its own stream, so that
    adding a method to a run leaves every other method's draws, and so its intervals, as they were."""
    return np.random.default_rng([int(seed), zlib.crc32(key.encode()), *map(int, more)])


def tail_probability(confidence: float, df: int, n: int | None = None) -> float:
    """α' of the expanded percentile interval (see the module docstring); n None for normal draws."""
    if df < 1 or (n is not None and n < 2):
        return math.nan
    factor = 1.0 if n is None else math.sqrt(n / (n - 1))
    return float(stats.norm.cdf(-factor * stats.t.ppf(1 - (1 - confidence) / 2, df)))


def percentile_interval(samples, confidence: float, df: int, n: int | None = None) -> tuple[float, float]:
    """The expanded percentile interval of one statistic's bootstrap samples (NaN draws ignored)."""
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    tail = tail_probability(confidence, df, n)
    if samples.size < 10 or math.isnan(tail):
        return math.nan, math.nan
    low, high = np.quantile(samples, [tail, 1 - tail])
    return float(low), float(high)


def upper_bound(samples, confidence: float, df: int, n: int | None = None) -> float:
    """The one-sided expanded percentile bound below which the statistic lies with probability ``confidence``.

    For a statistic held at a bound in the lower tail of its resamples, where a
    two-sided interval would start at the bound by construction. Its tail is
    that of a two-sided interval at 2·confidence − 1 (NaN draws ignored).
    """
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    tail = tail_probability(2 * confidence - 1, df, n)
    if samples.size < 10 or math.isnan(tail):
        return math.nan
    return float(np.quantile(samples, 1 - tail))


def draws(rng: np.random.Generator, resamples: int, n: int) -> np.ndarray:
    """[resamples, n] indices drawn with replacement from range(n)."""
    return rng.integers(0, n, size=(resamples, n))


class Replicates:
    """Resampled Δ of a table's rows, [B, rows], and what the interval needs to know about them."""

    def __init__(self, values: np.ndarray, unit: str, df: int, n: int | None):
        self.values, self.unit, self.df, self.n = values, unit, df, n


def set_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int) -> Replicates | None:
    """Distilled sets drawn with replacement within each k, the same draw for every configuration.

    ``frame`` is sorted by (config, ipc, seed); None where some k has fewer than
    two sets, or the k differ in their number of sets.
    """
    col, _ = gap_columns(gap)
    seeds = frame.groupby("ipc")["seed"].nunique()
    if seeds.min() < 2 or seeds.nunique() != 1:
        return None
    s = int(seeds.iloc[0])
    values = frame[col].to_numpy(float).reshape(-1, s)  # [config·k, seed]
    levels, level_of = np.unique(frame["ipc"].to_numpy()[::s], return_inverse=True)
    pick = np.stack([draws(rng, resamples, s) for _ in levels], axis=1)  # [B, K, s]
    reps = np.take_along_axis(values[None], pick[:, level_of, :], axis=2)
    return Replicates(reps.reshape(resamples, -1), "distilled sets", len(levels) * (s - 1), s)


def eval_seed_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int,
                         reference_draws: dict | None = None) -> Replicates | None:
    """Each row's set mean and its reference's mean redrawn with the configuration's pooled eval-seed variance.

    The reference's draw is shared by all the rows of its configuration, as the
    one reference is; ``reference_draws`` (``reference_deviations``) gives those
    draws ready-made, the same numbers for two tables measured against the same
    references, so that the reference cancels in their difference as it does in
    the measured one. None where a row has fewer than two eval seeds, or the
    table carries no eval-seed variances.
    """
    col, _ = gap_columns(gap)
    own_var, ref_var = (f"{prefix}{col.removeprefix('delta_')}_var" for prefix in ("", "ref_"))
    needed = ["n_eval", "n_ref", own_var, ref_var]
    if not set(needed) <= set(frame.columns) or frame[["n_eval", "n_ref"]].min().min() < 2:
        return None
    reps = np.repeat(frame[col].to_numpy(float)[None], resamples, axis=0)
    df_total = 0
    for config, rows in frame.groupby("config", sort=False):
        where = frame.index.get_indexer(rows.index)
        n_ref = int(rows["n_ref"].iloc[0])
        df = int((rows["n_eval"] - 1).sum()) + n_ref - 1
        pooled = (((rows["n_eval"] - 1) * rows[own_var]).sum() + (n_ref - 1) * rows[ref_var].iloc[0]) / df
        sd = math.sqrt(max(float(pooled), 0.0))
        reps[:, where] += rng.normal(0.0, 1.0, (resamples, len(rows))) * sd / np.sqrt(rows["n_eval"].to_numpy(float))
        if reference_draws is not None and config in reference_draws:
            reps[:, where] -= reference_draws[config][:, None]
        else:
            reps[:, where] -= (rng.normal(0.0, 1.0, resamples) * sd / math.sqrt(n_ref))[:, None]
        df_total += df
    return Replicates(reps, "eval seeds", df_total, None)


def reference_deviations(frame: pd.DataFrame, gap: str, rng, resamples: int) -> dict:
    """Per configuration, [B] draws of its reference's mean about the measured one, from the reference's
    own eval-seed variance: the draws two tables measured against the same references share."""
    col, _ = gap_columns(gap)
    ref_var = f"ref_{col.removeprefix('delta_')}_var"
    out = {}
    for config, rows in frame.groupby("config", sort=True):
        sd = math.sqrt(max(float(rows[ref_var].iloc[0]), 0.0) / int(rows["n_ref"].iloc[0]))
        out[config] = rng.normal(0.0, 1.0, resamples) * sd
    return out


def measurement_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int,
                           reference_draws: dict | None = None) -> Replicates | None:
    """The measurement units of a fixed family: distilled sets where each k has two or more, else eval seeds."""
    return (set_replicates(frame, gap, rng, resamples)
            or eval_seed_replicates(frame, gap, rng, resamples, reference_draws))


def config_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int) -> Replicates | None:
    """Whole configurations drawn with replacement, crossed with the sets where each k has two or more.

    ``frame`` is sorted by (config, ipc, seed); a replicate's rows are the drawn
    configurations' rows in turn, so it lines up with ``np.tile(k, M)``.
    """
    col, _ = gap_columns(gap)
    sizes = frame.groupby("config", sort=False).size()
    if sizes.nunique() != 1 or len(sizes) < 2:
        return None
    n_configs = len(sizes)
    sets = set_replicates(frame, gap, rng, resamples)
    values = (sets.values.reshape(resamples, n_configs, -1) if sets is not None
              else np.broadcast_to(frame[col].to_numpy(float).reshape(n_configs, -1), (resamples, n_configs,
                                                                                      int(sizes.iloc[0]))))
    pick = draws(rng, resamples, n_configs)
    reps = np.take_along_axis(values, pick[:, :, None].repeat(values.shape[2], axis=2), axis=1)
    return Replicates(reps.reshape(resamples, -1), "configurations", n_configs - 1, n_configs)
