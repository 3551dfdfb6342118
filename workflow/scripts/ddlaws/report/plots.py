"""Seaborn figures of the laws: facets by method (columns) and dataset (rows)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ..laws.coverage_fit import ENTROPY_NAMES  # noqa: E402
from ..laws.gaps import gap_columns  # noqa: E402
from ..laws.scaling_fit import POOLED  # noqa: E402


def _facets(frame: pd.DataFrame, height: float = 3.2):
    datasets = sorted(frame["dataset"].unique())
    methods = sorted(frame["method"].unique())
    fig, axes = plt.subplots(len(datasets), len(methods), figsize=(height * 1.3 * len(methods), height * len(datasets)),
                             squeeze=False, sharex=False)
    return fig, axes, datasets, methods


def scaling_figure(gaps: pd.DataFrame, fits: pd.DataFrame, gap: str = "error"):
    """Δ against 1/√k: mean ± sd per config and k, fitted lines (ε ≥ 0), the pooled floor and free-exponent curve."""
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
                            label=f"ε_bound = {p['intercept']:.3f} (held ≥ 0)")
                if np.isfinite(p["alpha"]):
                    ax.plot(xs, p["free_intercept"] + p["free_slope"] * xs ** (2 * p["alpha"]), color="black",
                            lw=1.0, ls=":", label=f"free exponent: α = {p['alpha']:.2f}")
            ax.axhline(0.0, color="grey", lw=0.6)
            ax.set_title(f"{dataset} · {method}")
            ax.set_xlabel("1/√k  (k = images per class)")
            ax.set_ylabel(f"Δ test {gap} (distilled − full data)")
            ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig


def coverage_figure(cloud: pd.DataFrame, points: pd.DataFrame, fits: pd.DataFrame):
    """Y against X = √H/√k: every subset drawn (faint), the per-(k, m) means the law is fitted on, the fit.

    Colour is k, so each colour's points run left to right as m grows, and the
    two-term law draws one line per k (its 1/√k term sets the line's height).
    The labels name the statistic, the entropy and the gap recorded in ``fits``.
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
            if len(fit) and np.isfinite(fit["coverage_coef"].iloc[0]):
                f = fit.iloc[0]
                fitted = f.get("coverage_coef_raw", f["coverage_coef"])  # the least-squares line, as drawn
                for ipc, sub in points[here].groupby("ipc"):
                    xs = np.linspace(0.0, sub["x"].max(), 20)
                    ax.plot(xs, f["two_term_intercept"] + f["two_term_k_coef"] / np.sqrt(ipc)
                            + fitted * xs, color=palette[ipc], lw=1.2, zorder=4)
                ax.plot([], [], color="black", lw=1.2,
                        label=f"Y = a + b/√k + c·X: c = {fitted:.3f}, R² {f['r2_two_term']:.2f}")
            ax.set_title(f"{dataset} · {method}")
            ax.set_xlabel(f"X = √({entropy}) / √k  (m configurations, k images per class)")
            ax.set_ylabel(f"Y = {setting['statistic']} of Δ test {setting['gap']} over the m configs")
            ax.legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    return fig


def robustness_figure(table: pd.DataFrame):
    """Worst Δ over the family against k, plain against pool, one facet per (dataset, plain method).

    Bands are the bootstrap intervals; the dashed lines are the worst Δ over the
    out-of-pool configurations, where there are any.
    """
    sns.set_theme(style="whitegrid", context="paper")
    per_k = table[table["ipc"] > 0]
    fig, axes, datasets, methods = _facets(per_k)
    for i, dataset in enumerate(datasets):
        for j, method in enumerate(methods):
            ax = axes[i][j]
            here = per_k[(per_k["dataset"] == dataset) & (per_k["method"] == method)]
            variants = sorted(here["pool_variant"].unique())
            curves = [(here[here["pool_variant"] == variants[0]], "plain", method, "black")] if variants else []
            curves += [(here[here["pool_variant"] == v], "pool", v, color)
                       for v, color in zip(variants, sns.color_palette("tab10", len(variants)))]
            for rows, tag, label, color in curves:
                ax.plot(rows["ipc"], rows[f"worst_{tag}"], marker="o", color=color, label=f"{label}: worst")
                ax.fill_between(rows["ipc"], rows[f"worst_{tag}_ci_low"], rows[f"worst_{tag}_ci_high"],
                                color=color, alpha=0.15, lw=0)
                if rows[f"worst_out_of_pool_{tag}"].notna().any():
                    ax.plot(rows["ipc"], rows[f"worst_out_of_pool_{tag}"], ls="--", color=color,
                            label=f"{label}: worst out of {rows['pool_variant'].iloc[0]}'s pool")
            ax.set_xscale("log", base=2)
            ticks = sorted(here["ipc"].unique())
            ax.set_xticks(ticks, [str(k) for k in ticks])
            ax.set_title(f"{dataset} · {method} against its pool variant")
            ax.set_xlabel("k (images per class)")
            ax.set_ylabel("worst Δ over the family")
            ax.legend(fontsize=6)
    fig.tight_layout()
    return fig
