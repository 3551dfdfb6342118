"""Does one curve fit every configuration? Per method, a test of the scaling law's shape across the family.

On the Δ cells of one (dataset, method, label regime), [k, configuration]
means over distilled sets, two models are fitted by least squares:

* common: Δ_a(k) = ε_a + C·k^(−α), one C and one α for the family;
* separate: Δ_a(k) = ε_a + C_a·k^(−α_a), each configuration its own curve.

Both give each configuration its own level ε_a, so the test is about the
shape, how fast the gap shrinks: levels differ between architectures in any
family, and a configuration's one reference shifts all its Δ at once, which
its level absorbs. The levels are free here (not held ≥ 0): the bound says
where a curve ends, not whether the curves share a shape. α is profiled over
the grid of ``power_law``, the same grid for both models, so they nest.

The statistic is the drop in the residual sum of squares, T = RSS_common −
RSS_separate. Its null distribution is no F's: the configurations' Δ of one
distilled set come from the same images, and α is profiled. It comes from a
bootstrap under the common curve: the fitted common curves plus the
deviations of a redrawn family from the measured one
(``bootstrap.measurement_replicates``: distilled sets drawn within each k,
the same draw for every configuration, which keeps the dependence between
configurations; or eval seeds, each reference's draw shared by all the Δ of
its configuration). Resampled sets spread a mean of n sets by only
(n − 1)/n of its variance, so their deviations are scaled by √(n / (n − 1));
unscaled, two sets per k made the test reject one true curve in half of
synthetic runs. p = (1 + #{T* ≥ T}) / (1 + B).

What counts as noise is what those units measure: with one distilled set per
k, a set that happens to suit one configuration better than another counts
as heterogeneity; with two or more sets per k it counts as noise.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .bootstrap import keyed_rng, measurement_replicates
from .coverage_fit import delta_matrix
from .gaps import gap_columns
from .paired import cell_means
from .power_law import ALPHA_GRID, line_fit

FIELDS = ("common_c", "common_alpha", "separate_c_min", "separate_c_max", "separate_alpha_min",
          "separate_alpha_max", "rss_common", "rss_separate", "statistic", "pvalue")


def curve_fits(cells: np.ndarray, ipcs) -> dict:
    """Both models on every family of ``cells`` [B, k, configuration]: RSS, C and α, each [B] or [B, configuration]."""
    n, n_k, n_configs = cells.shape
    z = np.asarray(ipcs, dtype=float)[None, :] ** -ALPHA_GRID[:, None]  # [A, k]
    per_config = cells.transpose(0, 2, 1).reshape(n * n_configs, n_k)
    _, slopes, sse = line_fit(z, per_config, floor_at_zero=False)  # [B·M, A]
    best = sse.argmin(axis=1)
    rows = np.arange(len(best))
    # one C and α: the configuration-centred points on one line through the origin
    centred = (per_config - per_config.mean(axis=1, keepdims=True)).reshape(n, n_configs * n_k)
    _, common_c, common_sse = line_fit(np.tile(z - z.mean(axis=1, keepdims=True), (1, n_configs)), centred,
                                       floor_at_zero=False)  # [B, A]
    common = common_sse.argmin(axis=1)
    return {"rss_common": common_sse[np.arange(n), common], "common_c": common_c[np.arange(n), common],
            "common_alpha": ALPHA_GRID[common],
            "rss_separate": sse[rows, best].reshape(n, n_configs).sum(axis=1),
            "separate_c": slopes[rows, best].reshape(n, n_configs), "separate_alpha": ALPHA_GRID[best].reshape(n,
                                                                                                          n_configs)}


def common_curves(cells: np.ndarray, ipcs, c: float, alpha: float) -> np.ndarray:
    """The common model's fitted Δ [k, configuration]: each configuration's mean plus C·(k^(−α) − its mean)."""
    z = np.asarray(ipcs, dtype=float) ** -alpha
    return cells.mean(axis=0, keepdims=True) + c * (z - z.mean())[:, None]


def heterogeneity_row(frame: pd.DataFrame, gap: str, rng, resamples: int) -> dict:
    """The test for one (dataset, method, label regime): the fits, T and its bootstrap p (NaN without units)."""
    col, _ = gap_columns(gap)
    configs = list(delta_matrix(frame, gap).columns)
    frame = frame[frame["config"].isin(configs)].sort_values(["config", "ipc", "seed"]).reset_index(drop=True)
    ipcs = sorted(frame["ipc"].unique())
    out = {"n_configs": len(configs), "ipcs": " ".join(str(int(k)) for k in ipcs), "bootstrap_unit": "none",
           **dict.fromkeys(FIELDS, math.nan)}
    if len(configs) < 2 or len(ipcs) < 4:
        return out
    cells = cell_means(frame, frame[col].to_numpy(float)[None], configs, ipcs)
    fit = curve_fits(cells, ipcs)
    out.update({name: float(fit[name][0]) for name in ("common_c", "common_alpha", "rss_common", "rss_separate")},
               separate_c_min=float(fit["separate_c"].min()), separate_c_max=float(fit["separate_c"].max()),
               separate_alpha_min=float(fit["separate_alpha"].min()),
               separate_alpha_max=float(fit["separate_alpha"].max()))
    out["statistic"] = out["rss_common"] - out["rss_separate"]
    resampled = measurement_replicates(frame, gap, rng, resamples) if resamples >= 10 else None
    if resampled is None:
        return out
    # n resampled sets spread a mean by (n − 1)/n of its variance: the deviations are scaled back to the full noise
    scale = 1.0 if resampled.n is None else math.sqrt(resampled.n / (resampled.n - 1))
    deviations = (cell_means(frame, resampled.values, configs, ipcs) - cells) * scale
    null = curve_fits(common_curves(cells[0], ipcs, out["common_c"], out["common_alpha"])[None] + deviations, ipcs)
    drops = null["rss_common"] - null["rss_separate"]
    out.update(pvalue=float((1 + np.sum(drops >= out["statistic"])) / (1 + len(drops))),
               bootstrap_unit=resampled.unit)
    return out


def heterogeneity_table(gaps: pd.DataFrame, gap: str = "error", confidence: float = 0.95, resamples: int = 1000,
                        bootstrap_seed: int = 0) -> pd.DataFrame:
    """One row per (dataset, method, label regime); ``differ``: the curves differ at p < 1 − confidence."""
    rows = []
    for (dataset, method, regime), frame in gaps.groupby(["dataset", "method", "label_regime"], sort=True):
        rng = keyed_rng(bootstrap_seed, f"{dataset}/{method}/heterogeneity")
        rows.append({"dataset": dataset, "method": method, "label_regime": regime,
                     **heterogeneity_row(frame, gap, rng, resamples)})
    table = pd.DataFrame(rows, columns=["dataset", "method", "label_regime", "n_configs", "ipcs", *FIELDS,
                                        "bootstrap_unit"])
    table["differ"] = table["pvalue"] < 1 - confidence
    return table.assign(gap=gap, resamples=resamples)
