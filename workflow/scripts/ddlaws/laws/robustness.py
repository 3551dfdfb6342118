"""Does distilling against a pool of configurations buy robustness? Each pool variant against its plain method.

The coverage law says the size a set needs grows with the diversity of the
configurations it must serve. A pool variant distils against several; the
question is whether that lowers the worst gap over the evaluation family, and
above all over the configurations its pool did not contain. Per (dataset,
pool variant, k) the table gives, for the plain method and the variant:

* the worst Δ over the whole family, the mean Δ, and the worst Δ over the
  in-pool and over the out-of-pool configurations;
* the coverage coefficient c of each (one value per dataset, repeated per k),
  bias-corrected as in ``coverage_fit``, and its difference likewise;
* pool minus plain for each, with its interval.

Intervals redraw both methods' measurements (``bootstrap.measurement_replicates``:
their distilled sets, or eval seeds and the effect of their one set per k)
with the same draws of each reference (``bootstrap.reference_deviations``),
since both are measured against the same full-data models and the reference
cancels in their difference; a difference's interval is the interval of the
differences, its df from both methods' draws (``bootstrap.joint``).
A row with ``ipc`` 0 averages the per-k values over the k measured.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .bootstrap import (bias_corrected_interval, joint, keyed_rng, measurement_replicates, percentile_interval,
                        reference_deviations)
from .coverage_fit import coverage_coef_replicates, delta_matrix, subset_clouds, subset_means, two_term_fit
from .gaps import gap_columns

STATISTICS = ("worst", "mean", "worst_in_pool", "worst_out_of_pool")
ALL_K = 0


def _cells(frame: pd.DataFrame, values: np.ndarray, configs: list[str], ipcs: list[int]) -> np.ndarray:
    """[B, k, configuration] means over distilled sets of per-row values [B, rows]."""
    cells = np.zeros((values.shape[0], len(ipcs), len(configs)))
    counts = np.zeros((len(ipcs), len(configs)))
    k_at = frame["ipc"].map({k: i for i, k in enumerate(ipcs)}).to_numpy()
    c_at = frame["config"].map({c: i for i, c in enumerate(configs)}).to_numpy()
    np.add.at(cells, (slice(None), k_at, c_at), values)
    np.add.at(counts, (k_at, c_at), 1)
    return cells / counts


def _statistics(cells: np.ndarray, in_pool: np.ndarray) -> dict:
    """The four gaps of ``STATISTICS`` per k, each [B, k] (NaN where a group is empty)."""
    empty = np.full(cells.shape[:2], np.nan)
    return {"worst": cells.max(axis=2), "mean": cells.mean(axis=2),
            "worst_in_pool": cells[:, :, in_pool].max(axis=2) if in_pool.any() else empty,
            "worst_out_of_pool": cells[:, :, ~in_pool].max(axis=2) if (~in_pool).any() else empty}


def _interval(samples: np.ndarray, confidence: float, resampled) -> tuple[float, float]:
    if resampled is None:
        return math.nan, math.nan
    return percentile_interval(samples, confidence, resampled.df, resampled.n, resampled)


def _corrected(samples: np.ndarray, estimate: float, confidence: float, resampled) -> tuple[float, float, float]:
    """The bias-corrected point and interval of a coverage coefficient, or of a difference of two."""
    return bias_corrected_interval(samples, estimate, confidence, resampled.df, resampled.n, resampled)


def robustness_table(gaps: pd.DataFrame, variants: dict, gap: str = "error", draws: int = 200, seed: int = 0,
                     statistic: str = "max", x_form: str = "log", confidence: float = 0.95,
                     resamples: int = 1000, bootstrap_seed: int = 0) -> pd.DataFrame:
    """One row per (dataset, pool variant, k), and one per (dataset, pool variant) over all k (``ipc`` 0).

    ``variants`` maps a pool variant's name to ``{"method": plain method, "in_pool": [configurations]}``.
    """
    col, _ = gap_columns(gap)
    rows = []
    for dataset, data in gaps.groupby("dataset", sort=True):
        for variant, spec in sorted(variants.items()):
            plain = spec["method"]
            rng = keyed_rng(bootstrap_seed, f"{dataset}/{variant}")
            pair = data[data["method"].isin([plain, variant])]
            if set(pair["method"]) != {plain, variant}:
                continue
            configs = sorted(delta_matrix(pair[pair["method"] == plain], gap).columns
                             .intersection(delta_matrix(pair[pair["method"] == variant], gap).columns))
            # the k both were distilled at: each k's difference, and their mean, compare like with like
            ks = pair.groupby("method")["ipc"].unique()
            ipcs = sorted(set(ks[plain]) & set(ks[variant]))
            pair = pair[pair["config"].isin(configs) & pair["ipc"].isin(ipcs)]
            in_pool = np.array([c in set(spec["in_pool"]) for c in configs])
            reference_draws = reference_deviations(pair, gap, rng, resamples) if resamples >= 10 else None
            stats, reps, coefs, units = {}, {}, {}, {}
            for method in (plain, variant):
                frame = pair[pair["method"] == method].sort_values(["config", "ipc", "seed"]).reset_index(drop=True)
                cells = _cells(frame, frame[col].to_numpy(float)[None], configs, ipcs)
                stats[method] = {name: value[0] for name, value in _statistics(cells, in_pool).items()}
                cloud, matrices, _ = subset_clouds(frame, gap, draws, seed, statistic, x_form)
                points = subset_means(cloud)
                coefs[method] = two_term_fit(points)["coverage_coef"]
                resampled = (measurement_replicates(frame, gap, rng, resamples, reference_draws)
                             if reference_draws is not None else None)
                units[method] = resampled
                if resampled is not None:
                    redrawn = _cells(frame, resampled.values, configs, ipcs)
                    reps[method] = _statistics(redrawn, in_pool)
                    subsets = matrices[(dataset, method)][1]
                    reps[method]["coverage_coef"] = coverage_coef_replicates(redrawn, subsets, points, statistic)
            both = all(units[m] is not None for m in (plain, variant))
            unit = (joint(units[variant], units[plain]) if both
                    else units[variant] if units[variant] is not None else units[plain])
            for i, k in enumerate(list(ipcs) + [ALL_K]):
                row = {"dataset": dataset, "method": plain, "pool_variant": variant, "ipc": int(k),
                       "in_pool": " ".join(c for c, inside in zip(configs, in_pool) if inside),
                       "out_of_pool": " ".join(c for c, inside in zip(configs, in_pool) if not inside)}
                for name in STATISTICS + ("coverage_coef",):
                    values, samples = {}, {}
                    for method, tag in ((plain, "plain"), (variant, "pool")):
                        if name == "coverage_coef":
                            values[tag] = coefs[method]
                            samples[tag] = reps.get(method, {}).get(name)
                        else:
                            point = stats[method][name]
                            values[tag] = float(np.mean(point)) if k == ALL_K else float(point[i])
                            draw = reps.get(method, {}).get(name)
                            samples[tag] = (None if draw is None else draw.mean(axis=1) if k == ALL_K
                                            else draw[:, i])
                        low, high = (_interval(samples[tag], confidence, units[method])
                                     if samples[tag] is not None else (math.nan, math.nan))
                        if name == "coverage_coef" and samples[tag] is not None:  # biased: see coverage_fit
                            values[tag], low, high = _corrected(samples[tag], values[tag], confidence, units[method])
                        row[f"{name}_{tag}"] = values[tag]
                        row[f"{name}_{tag}_ci_low"], row[f"{name}_{tag}_ci_high"] = low, high
                    diff = (coefs[variant] - coefs[plain] if name == "coverage_coef"
                            else values["pool"] - values["plain"])
                    low, high = (_interval(samples["pool"] - samples["plain"], confidence, unit)
                                 if both else (math.nan, math.nan))
                    if name == "coverage_coef" and both:
                        diff, low, high = _corrected(samples["pool"] - samples["plain"], diff, confidence, unit)
                    row[f"{name}_diff"] = diff
                    row[f"{name}_diff_ci_low"], row[f"{name}_diff_ci_high"] = low, high
                rows.append(row)
    return pd.DataFrame(rows)
