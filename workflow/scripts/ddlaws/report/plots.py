"""Seaborn figures of the laws: facets by method (columns) and dataset (rows)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ..laws.coverage_fit import ENTROPY_NAMES  # noqa: E402
from ..laws.scaling_fit import POOLED, gap_columns  # noqa: E402


def _facets(frame: pd.DataFrame, height: float = 3.2):
    datasets = sorted(frame["dataset"].unique())
    methods = sorted(frame["method"].unique())
    fig, axes = plt.subplots(len(datasets), len(methods), figsize=(height * 1.3 * len(methods), height * len(datasets)),
                             squeeze=False, sharex=False)
    return fig, axes, datasets, methods


def scaling_figure(gaps: pd.DataFrame, fits: pd.DataFrame, gap: str = "error"):
    """Δ against 1/√k: mean ± sd per config and k, fitted lines, the pooled intercept marked."""
    sns.set_theme(style="whitegrid", context="paper")
    col, _ = gap_columns(gap)
    points = (gaps.groupby(["dataset", "method", "config", "ipc"])[col]
              .agg(["mean", "std"]).reset_index().fillna({"std": 0.0}))
    points["x"] = 1.0 / np.sqrt(points["ipc"])
    configs = sorted(points["config"].unique())
    palette = dict(zip(configs, sns.color_palette("tab10" if len(configs) <= 10 else "husl", len(configs))))
    fig, axes, datasets, methods = _facets(points)
    for i, dataset in enumerate(datasets):
        for j, method in enumerate(methods):
            ax = axes[i][j]
            here = points[(points["dataset"] == dataset) & (points["method"] == method)]
            lines = fits[(fits["dataset"] == dataset) & (fits["method"] == method)]
            xs = np.linspace(0.0, max(here["x"].max(), 1e-3) if len(here) else 1.0, 50)
            for config, sub in here.groupby("config"):
                ax.errorbar(sub["x"], sub["mean"], yerr=sub["std"], fmt="o", ms=3, capsize=2,
                            color=palette[config], label=config)
                fit = lines[lines["config"] == config]
                if len(fit) and np.isfinite(fit["slope"].iloc[0]):
                    ax.plot(xs, fit["intercept"].iloc[0] + fit["slope"].iloc[0] * xs, lw=0.8, ls="--",
                            color=palette[config])
            pooled = lines[lines["config"] == POOLED]
            if len(pooled) and np.isfinite(pooled["slope"].iloc[0]):
                p = pooled.iloc[0]
                ax.plot(xs, p["intercept"] + p["slope"] * xs, color="black", lw=1.6, label="pooled fit")
                low, high = p["intercept_ci_low"], p["intercept_ci_high"]
                yerr = None if not np.isfinite(low) else [[p["intercept"] - low], [high - p["intercept"]]]
                ax.errorbar([0.0], [p["intercept"]], yerr=yerr, fmt="D", color="black", ms=6, capsize=4,
                            label=f"ε_bound = {p['intercept']:.3f}")
            ax.axhline(0.0, color="grey", lw=0.6)
            ax.set_title(f"{dataset} · {method}")
            ax.set_xlabel("1/√k  (k = images per class)")
            ax.set_ylabel(f"Δ test {gap} (distilled − full data)")
            ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig


def coverage_figure(cloud: pd.DataFrame, points: pd.DataFrame, fits: pd.DataFrame):
    """Y against X = √H/√k: every subset drawn (faint), the per-(k, m) means the law is fitted on, the fit.

    Colour is k, so each colour's points run left to right as m grows. The
    labels name the statistic, the entropy and the gap recorded in ``fits``.
    """
    sns.set_theme(style="whitegrid", context="paper")
    setting = fits.iloc[0]
    entropy = ENTROPY_NAMES[setting["x_form"]]
    ipcs = sorted(points["ipc"].unique())
    palette = dict(zip(ipcs, sns.color_palette("viridis", len(ipcs))))
    fig, axes, datasets, methods = _facets(points)
    for i, dataset in enumerate(datasets):
        for j, method in enumerate(methods):
            ax = axes[i][j]
            here = (points["dataset"] == dataset) & (points["method"] == method)
            drawn = cloud[(cloud["dataset"] == dataset) & (cloud["method"] == method)]
            ax.scatter(drawn["x"], drawn["y"], s=5, alpha=0.2, lw=0, c=drawn["ipc"].map(palette).tolist())
            for ipc, sub in points[here].groupby("ipc"):
                ax.scatter(sub["x"], sub["y"], s=22, color=palette[ipc], edgecolor="black", lw=0.4,
                           label=f"k = {ipc}", zorder=3)
            fit = fits[(fits["dataset"] == dataset) & (fits["method"] == method)]
            if len(fit) and np.isfinite(fit["slope"].iloc[0]):
                f = fit.iloc[0]
                xs = np.linspace(0.0, points.loc[here, "x"].max(), 50)
                ax.plot(xs, f["intercept"] + f["slope"] * xs, color="black", lw=1.4, zorder=4,
                        label=f"fit: slope {f['slope']:.3f}, R² {f['r2']:.2f}")
            ax.set_title(f"{dataset} · {method}")
            ax.set_xlabel(f"X = √({entropy}) / √k  (m configurations, k images per class)")
            ax.set_ylabel(f"Y = {setting['statistic']} of Δ test {setting['gap']} over the m configs")
            ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig
