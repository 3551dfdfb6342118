"""Seaborn figures of the laws, one facet per (dataset, method).

The scaling and coverage figures wrap their facets three to a row under one
shared legend, so that they stay readable at the ~900 px the Snakemake report
shows them at; a facet's own numbers go in its title.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ..laws.coverage_fit import ENTROPY_NAMES  # noqa: E402
from ..laws.gaps import gap_columns  # noqa: E402
from ..laws.scaling_fit import POOLED  # noqa: E402

PER_ROW = 3
SHAPE_STYLES = {"line": "-", "free exponent": ":", "hinge": "-."}


def _facets(frame: pd.DataFrame, height: float = 3.2):
    datasets = sorted(frame["dataset"].unique())
    methods = sorted(frame["method"].unique())
    fig, axes = plt.subplots(len(datasets), len(methods), figsize=(height * 1.3 * len(methods), height * len(datasets)),
                             squeeze=False, sharex=False)
    return fig, axes, datasets, methods


def _wrapped_facets(frame: pd.DataFrame, width: float = 9.0, aspect: float = 0.85):
    """One facet per (dataset, method), PER_ROW to a row: (fig, axes, keys, spare), spare the first unused cell."""
    keys = sorted(frame[["dataset", "method"]].drop_duplicates().itertuples(index=False, name=None))
    cols = max(1, min(PER_ROW, len(keys)))
    rows = max(1, math.ceil(len(keys) / cols))
    side = width / PER_ROW
    fig, axes = plt.subplots(rows, cols, figsize=(side * cols, side * aspect * rows + 0.6), squeeze=False)
    cells = list(axes.ravel())
    for ax in cells[len(keys):]:
        ax.axis("off")
    return fig, cells[:len(keys)], keys, (cells[len(keys)] if len(cells) > len(keys) else None)


def _shared_legend(fig, axes, spare, xlabel: str, ylabel: str) -> None:
    """One legend for all facets (in the spare cell where there is one, else below), and the shared axis labels."""
    entries = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    fig.supxlabel(xlabel)
    fig.supylabel(ylabel)
    fig.tight_layout()
    if spare is not None:
        spare.legend(entries.values(), entries.keys(), loc="center", frameon=False)
    else:
        fig.legend(entries.values(), entries.keys(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
                   ncol=min(4, len(entries)), frameon=False)


def _shape_curve(fit, model: str, xs: np.ndarray) -> np.ndarray | None:
    """One fitted shape of a scaling-table row at x = 1/√k; None where it was not fitted."""
    if model == "line":
        ys = fit["intercept"] + fit["slope"] * xs
    elif model == "free exponent":
        ys = fit["free_intercept"] + fit["free_slope"] * xs ** (2 * fit["alpha"])
    else:
        ys = fit["hinge_intercept"] + fit["hinge_slope"] * np.maximum(xs - 1 / np.sqrt(fit["hinge_k_break"]), 0.0)
    return ys if np.isfinite(ys).all() else None


def _floor_text(fit) -> str:
    """The chosen floor and its interval, or its upper bound, for a facet's title."""
    floor, low, high = fit["floor_chosen"], fit["floor_chosen_ci_low"], fit["floor_chosen_ci_high"]
    if fit["floor_chosen_ci_kind"] == "upper bound":
        return f"ε_bound = {floor:.3f}, ≤ {high:.3f}"
    if fit["floor_chosen_ci_kind"] == "two-sided":
        return f"ε_bound = {floor:.3f} ({low:.3f}–{high:.3f})"
    return f"ε_bound = {floor:.3f}"


def scaling_figure(gaps: pd.DataFrame, fits: pd.DataFrame, gap: str = "error"):
    """Δ against 1/√k: mean ± sd per config and k with each config's chosen shape (dashed), the three pooled
    shapes with the chosen one bold and the others faint, and the chosen floor with its interval at 1/√k = 0."""
    sns.set_theme(style="whitegrid", context="paper")
    col, _ = gap_columns(gap)
    points = (gaps.groupby(["dataset", "method", "config", "ipc"])[col]
              .agg(["mean", "std"]).reset_index().fillna({"std": 0.0}))
    points["x"] = 1.0 / np.sqrt(points["ipc"])
    configs = sorted(points["config"].unique())
    palette = dict(zip(configs, sns.color_palette("tab10" if len(configs) <= 10 else "husl", len(configs))))
    fig, axes, keys, spare = _wrapped_facets(points)
    for ax, (dataset, method) in zip(axes, keys):
        here = points[(points["dataset"] == dataset) & (points["method"] == method)]
        lines = fits[(fits["dataset"] == dataset) & (fits["method"] == method)]
        xs = np.linspace(0.0, max(here["x"].max(), 1e-3) if len(here) else 1.0, 200)
        for config, sub in here.groupby("config"):
            ax.errorbar(sub["x"], sub["mean"], yerr=sub["std"], fmt="o", ms=3, capsize=2, lw=0.8,
                        color=palette[config], label=config)
            fit = lines[lines["config"] == config]
            ys = _shape_curve(fit.iloc[0], fit["chosen"].iloc[0], xs) if len(fit) else None
            if ys is not None:
                ax.plot(xs, ys, lw=0.7, ls="--", color=palette[config], alpha=0.8)
        pooled = lines[lines["config"] == POOLED]
        if len(pooled):
            p = pooled.iloc[0]
            for model, style in SHAPE_STYLES.items():
                ys = _shape_curve(p, model, xs)
                if ys is not None:
                    chosen = model == p["chosen"]
                    ax.plot(xs, ys, ls=style, color="black" if chosen else "dimgrey", lw=2.2 if chosen else 1.0,
                            alpha=1.0 if chosen else 0.55, zorder=4 if chosen else 3)
                    ax.plot([], [], ls=style, color="black", lw=1.4, label=f"pooled {model}")
            low, high = p["floor_chosen_ci_low"], p["floor_chosen_ci_high"]
            yerr = None if not np.isfinite(low) else [[p["floor_chosen"] - low], [high - p["floor_chosen"]]]
            ax.errorbar([0.0], [p["floor_chosen"]], yerr=yerr, fmt="D", color="black", ms=5, capsize=4, zorder=5,
                        label="ε_bound of the chosen shape")
            ax.text(0.03, 0.97, f"chosen: {p['chosen']}\n{_floor_text(p)}", transform=ax.transAxes, fontsize=7,
                    va="top", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_title(f"{dataset} · {method}", fontsize=8)
    if axes:
        axes[0].plot([], [], ls="--", color="grey", lw=0.7, label="a config's chosen shape")
    _shared_legend(fig, axes, spare, "1/√k  (k = images per class); bold: the pooled shape chosen by AICc",
                   f"Δ test {gap} (distilled − full data)")
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
    fig, axes, keys, spare = _wrapped_facets(points)
    for ax, (dataset, method) in zip(axes, keys):
        here = (points["dataset"] == dataset) & (points["method"] == method)
        drawn = cloud[(cloud["dataset"] == dataset) & (cloud["method"] == method)]
        ax.scatter(drawn["x"], drawn["y"], s=5, alpha=0.2, lw=0, c=drawn["ipc"].map(palette).tolist())
        for ipc, sub in points[here].groupby("ipc"):
            ax.scatter(sub["x"], sub["y"], s=22, color=palette[ipc], edgecolor="black", lw=0.4,
                       label=f"k = {ipc}", zorder=3)
        fit = fits[(fits["dataset"] == dataset) & (fits["method"] == method)]
        title = f"{dataset} · {method}"
        if len(fit) and np.isfinite(fit["coverage_coef"].iloc[0]):
            f = fit.iloc[0]
            fitted = f["coverage_coef_raw"]  # the least-squares line, as drawn
            for ipc, sub in points[here].groupby("ipc"):
                xs = np.linspace(0.0, sub["x"].max(), 20)
                ax.plot(xs, f["two_term_intercept"] + f["two_term_k_coef"] / np.sqrt(ipc)
                        + fitted * xs, color=palette[ipc], lw=1.2, zorder=4)
            ax.plot([], [], color="black", lw=1.2, label="Y = a + b/√k + c·X at each k")
            title += f"\nc = {fitted:.3f}, R² {f['r2_two_term']:.2f}"
        ax.set_title(title, fontsize=8)
    _shared_legend(fig, axes, spare, f"X = √({entropy}) / √k  (m configurations, k images per class)",
                   f"Y = {setting['statistic']} of Δ test {setting['gap']} over the m configs")
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


COMPARED = {"eps_line": "floor ε of the line", "c_line": "C of the line", "alpha_free": "free exponent α",
            "coverage_coef": "coverage coefficient c", "worst": "worst Δ (mean over k)",
            "mean_ior": "mean IOR (mean over k)"}


def comparisons_figure(table: pd.DataFrame):
    """A forest plot of method a − method b: one panel per statistic, one line per pair, its interval as a bar.

    Filled points are the differences Holm's adjustment keeps (``differs``).
    Only the rows over all k (``ipc`` 0) are drawn: the per-k rows are in the table.
    """
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.15)
    overall = table[table["ipc"] == 0] if len(table) else table
    names = [name for name in COMPARED if len(overall) and name in set(overall["statistic"])]
    if not names:
        fig, ax = plt.subplots(figsize=(6, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "one method per dataset and label regime: nothing to compare", ha="center", va="center")
        return fig
    groups = overall[["dataset", "label_regime"]].drop_duplicates()
    prefix = len(groups) > 1
    pairs = overall[["dataset", "label_regime", "method_a", "method_b"]].drop_duplicates().reset_index(drop=True)
    labels = [(f"{r.dataset}{' (soft)' if r.label_regime == 'soft' else ''} · " if prefix else "")
              + f"{r.method_a} − {r.method_b}" for r in pairs.itertuples()]
    position = {tuple(r): i for i, r in enumerate(pairs.itertuples(index=False))}
    cols = min(3, len(names))
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(8.0, 0.6 + rows * (0.75 + 0.24 * len(pairs))), squeeze=False,
                             sharey=True)
    for ax, name in zip(axes.flat, names):
        here = overall[overall["statistic"] == name]
        y = np.array([position[(r.dataset, r.label_regime, r.method_a, r.method_b)] for r in here.itertuples()])
        low, high = here["diff_ci_low"].to_numpy(float), here["diff_ci_high"].to_numpy(float)
        diff = here["diff"].to_numpy(float)
        known = np.isfinite(low) & np.isfinite(high)
        ax.hlines(y[known], low[known], high[known], color="0.35", lw=1.6)
        differs = here["differs"].to_numpy(bool)
        ax.plot(diff[differs], y[differs], "o", color="tab:red", ms=6, label="differs (Holm)")
        ax.plot(diff[~differs], y[~differs], "o", mfc="white", mec="0.25", ms=6, label="no difference shown")
        ax.axvline(0.0, color="0.6", lw=1.0, zorder=0)
        ax.set_title(COMPARED[name])
        ax.set_xlabel("method a − method b")
        ax.tick_params(axis="x", labelsize=8)
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    axes[0][0].set_yticks(range(len(labels)), labels)
    axes[0][0].set_ylim(len(labels) - 0.5, -0.5)
    handles, legend_labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, legend_labels, loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


PREDICTED = {"scaling": "scaling law (chosen shape), k left out", "worst": "worst Δ over the family, k left out",
             "coverage": "coverage law, m ≤ M/2 → all M", "across methods": "another method's α, k left out"}


def prediction_figure(table: pd.DataFrame):
    """Predicted against measured Δ, one panel per law, one colour per method, the prediction intervals as bars.

    Filled points lie inside their interval, open ones outside; the grey line is
    a perfect prediction. The scaling law shows the chosen shape only (the other
    shapes are in the table).
    """
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.1)
    rows = table[(table["ipc"] > 0) & ((table["law"] != "scaling") | (table["model"] == "chosen"))] if len(table) \
        else table
    laws = [law for law in PREDICTED if len(rows) and law in set(rows["law"])]
    if not laws:
        fig, ax = plt.subplots(figsize=(6, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "too few k or configurations: no law could be checked out of sample", ha="center",
                va="center")
        return fig
    methods = sorted(rows["method"].unique())
    palette = dict(zip(methods, sns.color_palette("tab10" if len(methods) <= 10 else "husl", len(methods))))
    cols = min(2, len(laws))
    fig, axes = plt.subplots(-(-len(laws) // cols), cols, figsize=(4.2 * cols, 3.8 * -(-len(laws) // cols)),
                             squeeze=False)
    for ax, law in zip(axes.flat, laws):
        here = rows[rows["law"] == law]
        for method, sub in here.groupby("method"):
            predicted, measured = sub["predicted"].to_numpy(float), sub["measured"].to_numpy(float)
            low, high = sub["pi_low"].to_numpy(float), sub["pi_high"].to_numpy(float)
            known = np.isfinite(low) & np.isfinite(high)
            ax.vlines(measured[known], low[known], high[known], color=palette[method], lw=0.9, alpha=0.6)
            inside = sub["inside"].astype(str).to_numpy() == "True"
            ax.plot(measured[inside], predicted[inside], "o", color=palette[method], ms=4, label=method)
            ax.plot(measured[~inside], predicted[~inside], "o", mfc="white", mec=palette[method], ms=4)
        ends = np.concatenate([here["measured"], here["predicted"]]).astype(float)
        span = [np.nanmin(ends), np.nanmax(ends)]
        ax.plot(span, span, color="0.6", lw=1.0, zorder=0)
        ax.set_title(PREDICTED[law], fontsize=9)
        ax.set_xlabel("measured Δ")
        ax.set_ylabel("predicted Δ")
    for ax in axes.flat[len(laws):]:
        ax.axis("off")
    entries = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    entries["outside its interval"] = plt.Line2D([], [], marker="o", ls="", mfc="white", mec="0.3")
    fig.legend(entries.values(), entries.keys(), loc="lower center", ncol=min(6, len(entries)), frameon=False,
               bbox_to_anchor=(0.5, -0.01))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
