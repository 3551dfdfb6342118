"""Bootstrap intervals that redraw what a rerun of the method would change.

The Δ of one distilled set under eight configurations come from the same
images, so they are not eight observations, and the draw of the set moves them
all together: an interval that redraws only eval seeds or configurations
describes these particular images, not the method. With ``seeds: [0, 1, 2]``
fitted on each seed alone, random's pooled α was 0.759 (0.70–0.82), 0.921
(0.75–1.15) and 0.448 (0.41–0.49). Which units a fit redraws is therefore part
of what its interval means.

* **Distilled sets**, where every k has two or more (``set_replicates``): a wild
  bootstrap that moves every row at k by Σ_s g_s·(Δ_s − Δ̄)/√(s(s − 1)), g_s
  standard normal and shared by the configurations, since each set is
  evaluated under all of them. With two sets, resampling them gives a
  lattice of three values per k and (s − 1)/s of the variance.
  Each configuration's reference is redrawn beside them.
* **Eval seeds and the k-level set effects**, where a k has one set: each
  trained set's mean and its reference's redrawn from a normal law with the
  configuration's eval-seed variance pooled over its sets and its reference
  (three eval seeds are too few to resample), plus the set's effect
  (``set_effects``): the configuration-averaged Δ departs from its curve by the
  shared effect, whose variance τ²/k is estimated from the K residuals beyond
  what eval-seed noise explains (K − 2 df), and the set × configuration
  interaction from each configuration's own departures.
* **Configurations** (a cluster bootstrap: a drawn configuration brings all its
  points) for the pooled scaling fit, whose parameters describe the family's
  average curve as a sample of configurations, crossed with either of the above.

The interval stretches each side of the plain percentile interval about the
median by z'/z, z' = √(n/(n − 1))·t_df(1 − α/2) as in the *expanded*
percentile interval (Hesterberg, 2015) and z the normal quantile: a plain
percentile interval is too narrow for few units, its bootstrap variance (n − 1)/n
of the true one and its tails normal where Student's t applies. Where the draws
carry normal weights the df is each statistic's own (``Replicates.statistic_df``,
Welch–Satterthwaite over the estimated variances it leans on): the slope of
one configuration leans on the k = 1 sets, one degree of freedom each, the
floor on all k. Reading the samples at α' itself instead would read them at
0.01 % for df 5, n 2: the lattice's end.

Measured (``tests/test_calibration.py``'s design, 200 replications of 300
resamples, set effect sd 0.02·k^(−½), interaction 0.005·k^(−½); 95 %
intervals, share covering the method's truth; pooled ε, C, α | one
configuration's ε, C, α; the wild rows draw no interaction):

==========================================  ==================  ==================
two sets per k                              pooled              configuration
==========================================  ==================  ==================
sets resampled, expanded (n 2, df 5)        0.86  0.93  0.83    0.74  0.71  0.79
wild sets, expanded, df 5                   0.92  0.95  0.94    0.87  0.84  0.92
  + references redrawn                      0.92  0.96  0.93    0.92  0.86  0.93
  + each statistic's df                     0.94  0.96  0.94    0.93  0.88  0.93
  + stretched percentile (this module)      0.94  0.95  0.95    0.95  0.95  0.95
==========================================  ==================  ==================
one set per k
==========================================  ==================  ==================
eval seeds only (40 replications)           0.58  0.68  0.30    0.70  0.49  0.56
wild k residuals, df K − 2                  0.94  0.96  1.00    0.98  0.92  1.00
wild k residuals, each statistic's df       0.92  0.92  1.00    0.94  0.87  0.98
  + stretched percentile                    0.94  0.93  1.00    0.95  0.88  0.98
τ²/k and interaction (this module)          0.95  0.96  1.00    0.96  0.94  0.98
==========================================  ==================  ==================

(1.00: 0.995, 199 of 200; the pooled α's interval errs wide with one set.)
A wild residual per k leaves each k's variance under one degree of freedom,
and the slope, leaning on k = 1, covers too seldom; pooling them under sd ∝
k^(−½) gives K − 2 = 3 df to every k. That shape is assumed, not measured:
where a set's effect does not shrink with k (sd 0.01 at every k) the floor's
interval is narrower than it should be and the slope's wider: pooled ε, C, α
covered in 0.91, 0.99, 0.99 and one configuration's in 0.92, 0.96, 0.99.

The coverage coefficient is a fit to the max over subsets of one family, so
its interval is over the measurement units of that family: resampling
configurations with replacement puts repeated configurations into subsets,
which biases their max downwards, and such intervals covered the population's
coefficient in only 74 % of synthetic runs. The max of noisy Δ is itself biased
upwards, the more so the nearer the configurations: the coefficient takes
``bias_corrected_interval``. Over 200 replications (300 resamples), on the
test's family (slopes 0.25 ± 0.08) and on a near-tied one (0.25 ± 0.01, whose fit lay
outside its own plain interval in 26 % of runs with one set per k), the share
of 95 % intervals holding the noise-free c, one | two sets per k:

==========================  ===========  ===========
interval                    the test's   near-tied
==========================  ===========  ===========
percentile                  0.93 | 0.97  0.01 | 0.22
BC percentile               0.91 | 0.96  0.11 | 0.57
basic (reflected)           0.91 | 0.93  0.88 | 0.92
moved percentile (this)     0.92 | 0.95  0.86 | 0.93
==========================  ===========  ===========

The BC interval holds the fit exactly when the plain one does and reaches no
further than the resamples, which for a near-tied family all lie above the
truth. The moved interval corrects only the resamples' own bias, which is
smaller than the fit's (0.0045 against 0.0053 above the truth of 0.0097):
near ties still cover in 86 % only.
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


def percentile_interval(samples, confidence: float, df: int, n: int | None = None,
                        replicates: "Replicates | None" = None) -> tuple[float, float]:
    """The widened percentile interval of one statistic's bootstrap samples (NaN draws ignored).

    Each side of the plain percentile interval is stretched about the median by
    z'/z, z' = Φ⁻¹(1 − α') the expanded interval's quantile (``tail_probability``)
    and z = Φ⁻¹(1 − α/2) the plain one; a side the stretch takes past zero,
    where no resample is on the other side of it, stops at zero (a floor stays
    ≥ 0). With ``replicates`` whose draws carry normal weights, df is the
    statistic's own (``Replicates.statistic_df``) rather than ``df``.
    """
    samples = np.asarray(samples, dtype=float)
    if replicates is not None and replicates.weights is not None:
        df, factor = replicates.statistic_spread(samples)
        t = stats.t.ppf(1 - (1 - confidence) / 2, df)
        tail = float(stats.norm.cdf(-factor * t))
    else:
        tail = tail_probability(confidence, df, n)
    samples = samples[np.isfinite(samples)]
    if samples.size < 10 or math.isnan(tail):
        return math.nan, math.nan
    plain = (1 - confidence) / 2
    middle, low, high = np.quantile(samples, [0.5, plain, 1 - plain])
    # isf, not ppf(1 − tail): at df 1 the tail is ~1e-37 and 1 − tail rounds to 1, an infinite stretch
    stretch = stats.norm.isf(tail) / stats.norm.isf(plain)
    low, high = middle - stretch * (middle - low), middle + stretch * (high - middle)
    if samples.min() >= 0:
        low = max(low, 0.0)
    if samples.max() <= 0:
        high = min(high, 0.0)
    return float(low), float(high)


def bias_corrected_interval(samples, estimate: float, confidence: float, df: int, n: int | None = None,
                            replicates: "Replicates | None" = None) -> tuple[float, float, float]:
    """(point, low, high) of a biased statistic: the bias-corrected point and the percentile interval moved to it.

    The resamples stand to the estimate as the estimate to the truth, bias
    included: their median exceeds θ̂ by b where θ̂ exceeds the truth by about
    b. The point is θ̂ − b, and the interval ``percentile_interval``'s, moved
    down by 2b so that it sits about that point as the resamples sit about
    their median. The point lies inside its interval by construction; the raw
    θ̂ lies outside wherever its bias exceeds the interval's half-width, as a
    fit to the max over subsets of near-equal configurations does.
    """
    samples = np.asarray(samples, dtype=float)
    low, high = percentile_interval(samples, confidence, df, n, replicates)
    if math.isnan(low) or not math.isfinite(estimate):
        return estimate, math.nan, math.nan
    bias = float(np.median(samples[np.isfinite(samples)])) - estimate
    return estimate - bias, low - 2 * bias, high - 2 * bias


def draws(rng: np.random.Generator, resamples: int, n: int) -> np.ndarray:
    """[resamples, n] indices drawn with replacement from range(n)."""
    return rng.integers(0, n, size=(resamples, n))


class Replicates:
    """Resampled Δ of a table's rows, [B, rows], and what the interval needs to know about them.

    Where part of the draws is a standard normal weight times an estimated
    deviation (distilled sets, k-level set effects), ``weights`` [B, G] holds the
    weights, ``groups`` [G] the variance estimate each belongs to and
    ``group_df`` that estimate's degrees of freedom; ``rest_df`` is the df of
    the rest of the draws' variance (eval seeds, configurations).
    ``holds_fixed`` says what a rerun of the method would change that the
    draws leave as measured: ``nothing``, or ``the distilled sets`` where one
    set per k could not be told from its k's residuals.
    """

    def __init__(self, values: np.ndarray, unit: str, df: int, n: int | None, weights: np.ndarray | None = None,
                 groups: np.ndarray | None = None, group_df: np.ndarray | None = None, rest_df: float = 0.0,
                 holds_fixed: str = "nothing"):
        self.values, self.unit, self.df, self.n = values, unit, df, n
        self.weights, self.groups, self.group_df, self.rest_df = weights, groups, group_df, rest_df
        self.holds_fixed = holds_fixed

    def statistic_df(self, samples) -> float:
        """Welch–Satterthwaite df of one statistic's bootstrap variance (``statistic_spread``)."""
        return self.statistic_spread(samples)[0]

    def statistic_spread(self, samples) -> tuple[float, float]:
        """(df, factor): the Welch–Satterthwaite df of one statistic's bootstrap variance, and the factor on
        its sd that undoes the (n − 1)/n shrinkage of the resampled units' share (1 where n is None).

        The statistic's resamples are regressed on the normal weights: the
        squared coefficients of a group's weights are its share of the variance,
        what they leave is the rest's. A statistic that leans on one noisy k
        (the slope on the smallest) gets that k's few degrees of freedom.
        """
        samples = np.asarray(samples, dtype=float)
        ok = np.isfinite(samples)
        plain = math.sqrt(self.n / (self.n - 1)) if self.n else 1.0
        if ok.sum() <= self.weights.shape[1] + 2:
            return float(self.df), plain
        y, w = samples[ok] - samples[ok].mean(), self.weights[ok] - self.weights[ok].mean(axis=0)
        beta = np.linalg.lstsq(w, y, rcond=None)[0]
        share = np.bincount(self.groups, weights=beta ** 2 * w.var(axis=0), minlength=len(self.group_df))
        total = float(y.var())
        rest = max(total - float(share.sum()), 0.0)
        parts = list(zip(share, self.group_df)) + [(rest, self.rest_df)]
        factor = math.sqrt((total - rest + rest * plain ** 2) / total) if total > 0 else 1.0
        return (satterthwaite(parts) or float(self.df)), factor


def set_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int) -> Replicates | None:
    """Each k's distilled sets redrawn, the same draw for every configuration.

    ``frame`` is sorted by (config, ipc, seed); None where some k has fewer than
    two sets, or the k differ in their number of sets. A wild bootstrap: every
    row at k moves by Σ_s g_s·(Δ_s − Δ̄)/√(s(s − 1)), g_s standard normal and
    shared by the configurations, so the k's mean varies by its own between-set
    variance over s, without the (s − 1)/s shrinkage and the lattice of a
    resampling of two sets with replacement.
    """
    col, _ = gap_columns(gap)
    seeds = frame.groupby("ipc")["seed"].nunique()
    if seeds.min() < 2 or seeds.nunique() != 1:
        return None
    s = int(seeds.iloc[0])
    values = frame[col].to_numpy(float).reshape(-1, s)  # [config·k, seed]
    levels, level_of = np.unique(frame["ipc"].to_numpy()[::s], return_inverse=True)
    g = rng.normal(0.0, 1.0, (resamples, len(levels), s))
    spread = (values - values.mean(axis=1, keepdims=True)) / math.sqrt(s * (s - 1))
    shift = np.einsum("bcs,cs->bc", g[:, level_of, :], spread)  # [B, config·k]
    reps = values[None] + shift[:, :, None]
    return Replicates(reps.reshape(resamples, -1), "distilled sets", len(levels) * (s - 1), None,
                      weights=g.reshape(resamples, -1), groups=np.repeat(np.arange(len(levels)), s),
                      group_df=np.full(len(levels), s - 1.0))


def eval_seed_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int,
                         reference_draws: dict | None = None, reference_only: bool = False) -> Replicates | None:
    """Each row's set mean and its reference's mean redrawn with the configuration's pooled eval-seed variance.

    The reference's draw is shared by all the rows of its configuration, as the
    one reference is; ``reference_draws`` (``reference_deviations``) gives those
    draws ready-made, the same numbers for two tables measured against the same
    references, so that the reference cancels in their difference as it does in
    the measured one. None where a row has fewer than two eval seeds, or the
    table carries no eval-seed variances. ``reference_only`` returns the
    deviations the references give (zero where none), to add to other draws.
    """
    col, _ = gap_columns(gap)
    own_var, ref_var = (f"{prefix}{col.removeprefix('delta_')}_var" for prefix in ("", "ref_"))
    needed = ["n_eval", "n_ref", own_var, ref_var]
    if not set(needed) <= set(frame.columns) or frame[["n_eval", "n_ref"]].min().min() < 2:
        return None
    reps = (np.zeros((resamples, len(frame))) if reference_only
            else np.repeat(frame[col].to_numpy(float)[None], resamples, axis=0))
    df_total = 0
    for config, rows in frame.groupby("config", sort=False):
        where = frame.index.get_indexer(rows.index)
        n_ref = int(rows["n_ref"].iloc[0])
        df = int((rows["n_eval"] - 1).sum()) + n_ref - 1
        pooled = (((rows["n_eval"] - 1) * rows[own_var]).sum() + (n_ref - 1) * rows[ref_var].iloc[0]) / df
        sd = math.sqrt(max(float(pooled), 0.0))
        if not reference_only:
            noise = rng.normal(0.0, 1.0, (resamples, len(rows)))
            reps[:, where] += noise * sd / np.sqrt(rows["n_eval"].to_numpy(float))
        if reference_draws is not None and config in reference_draws:
            reps[:, where] -= reference_draws[config][:, None]
        else:
            reps[:, where] -= (rng.normal(0.0, 1.0, resamples) * sd / math.sqrt(n_ref))[:, None]
        df_total += df
    return Replicates(reps, "eval seeds", df_total, None, holds_fixed="the distilled sets")


def joint(first: Replicates, second: Replicates) -> Replicates:
    """What the interval of a difference between two independently redrawn tables needs: both tables' weights."""
    if first.weights is None and second.weights is None:
        return first
    parts = [r for r in (first, second) if r.weights is not None]
    weights = np.hstack([r.weights for r in parts])
    groups = np.concatenate([r.groups + sum(len(p.group_df) for p in parts[:i]) for i, r in enumerate(parts)])
    group_df = np.concatenate([r.group_df for r in parts])
    return Replicates(first.values, first.unit, first.df, first.n, weights, groups, group_df,
                      max(first.rest_df, second.rest_df), first.holds_fixed)


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


class SetEffects:
    """[B, K] draws of the shift a k's one distilled set gives all its configurations, and their degrees of freedom."""

    def __init__(self, ipcs: np.ndarray, values: np.ndarray, df: int, variance: np.ndarray,
                 weights: np.ndarray | None = None):
        self.ipcs, self.values, self.df, self.variance, self.weights = ipcs, values, df, variance, weights

    def at(self, ipc) -> np.ndarray:
        """The draws at each row's k, [B, rows]."""
        return self.values[:, np.searchsorted(self.ipcs, np.asarray(ipc))]

    def row_variance(self, ipc) -> np.ndarray:
        return self.variance[np.searchsorted(self.ipcs, np.asarray(ipc))]

    def extended(self, ipcs, rng) -> "SetEffects":
        """The same effects at more k: the draws at the k they were estimated on kept, fresh ones at the others.

        The variances follow τ²/k and ν²/k (``set_effects``'s pooled shape), so a
        k left out of the estimate, as an out-of-sample check leaves its k out,
        gets the variance the fitted k imply, not one read off its own residual.
        """
        ipcs = np.unique(np.asarray(ipcs))
        known = np.isin(ipcs, self.ipcs)
        scale = float(np.mean(self.variance * self.ipcs)), float(np.mean(self.interaction * self.ipcs))
        weights = rng.normal(0.0, 1.0, (self.weights.shape[0], len(ipcs)))
        weights[:, known] = self.weights[:, np.searchsorted(self.ipcs, ipcs[known])]
        variance = scale[0] / ipcs
        out = SetEffects(ipcs, weights * np.sqrt(variance), self.df, variance, weights)
        out.interaction, out.interaction_df = scale[1] / ipcs, self.interaction_df
        return out


def set_effects(frame: pd.DataFrame, gap: str, rng, resamples: int, exponent: float = 0.5,
                shape: str = "pooled") -> SetEffects | None:
    """Draws of the effects of a family's one distilled set per k, estimated from the residuals.

    Each set is evaluated under every configuration, so its draw moves all of
    them together: the configuration-averaged Δ at each k departs from the
    curve ε + C·k^(−α) (least squares, α = ``exponent``) by that shared effect
    plus its configurations' mean eval-seed noise. With ``shape`` ``pooled``
    the shared effect's variance is τ²/k (its sd falls as k^(−½)) and τ² is
    estimated from all K residuals at once, what eval-seed noise explains taken
    out (E Σ r² = Σ_k (1 − h_k)(τ²/k + σ̄_k²)); ``wild`` gives each k its own
    residual, scaled by 1/√(1 − h_k), which leaves a k's variance less than one
    degree of freedom. Each resample multiplies the sd by a standard normal per
    k. Beside it, the set × configuration interaction: each configuration's
    departure from the k's mean, fitted by its own curve, leaves residuals whose
    excess over eval-seed noise is ν²/k, drawn afresh for every row.
    None where some k has more than one set (``set_replicates`` applies) or
    there are too few k for a residual degree of freedom.
    """
    col, _ = gap_columns(gap)
    seeds = frame.groupby("ipc")["seed"].nunique()
    if seeds.max() != 1 or len(seeds) <= 2:
        return None
    cells = frame.pivot_table(index="ipc", columns="config", values=col, aggfunc="mean").sort_index().dropna(axis=1)
    k, n_configs = cells.index.to_numpy(float), cells.shape[1]
    y = cells.mean(axis=1).to_numpy(float)
    own_var = f"{col.removeprefix('delta_')}_var"
    cell_noise = np.zeros(cells.shape)  # eval-seed variance of each cell's mean, the distilled side
    if {own_var, "n_eval"} <= set(frame.columns):
        rows = frame[frame["config"].isin(cells.columns)]
        per_cell = (rows[own_var] / rows["n_eval"]).groupby([rows["ipc"], rows["config"]]).mean().unstack()
        cell_noise = np.nan_to_num(per_cell.reindex(index=cells.index, columns=cells.columns).to_numpy(float))
    noise = cell_noise.sum(axis=1) / n_configs ** 2
    design = np.column_stack([np.ones_like(k), k ** -exponent])
    hat = design @ np.linalg.pinv(design)
    kept = 1.0 - np.clip(np.diag(hat), 0.0, 0.99)  # (I − H)_kk
    residual = y - hat @ y
    if shape == "wild":
        total = float((residual ** 2).sum())
        share = max(0.0, 1.0 - float((kept * noise).sum()) / total) if total > 0 else 0.0
        variance = share * residual ** 2 / kept
    else:
        tau2 = max(0.0, float((residual ** 2).sum() - (kept * noise).sum())) / float((kept / k).sum())
        variance = tau2 / k
    interaction, interaction_df = np.zeros(len(k)), 0
    if n_configs >= 2:
        departures = cells.to_numpy(float) - y[:, None]
        left = departures - hat @ departures
        excess = float((left ** 2).sum()) / (1 - 1 / n_configs) - float((kept[:, None] * cell_noise).sum())
        nu2 = max(0.0, excess) / (n_configs * float((kept / k).sum()))
        interaction, interaction_df = nu2 / k, (n_configs - 1) * (len(k) - 2)
    weights = rng.normal(0.0, 1.0, (resamples, len(k)))
    out = SetEffects(cells.index.to_numpy(), weights * np.sqrt(variance), len(k) - 2, variance, weights)
    out.interaction, out.interaction_df = interaction, interaction_df
    return out


def satterthwaite(parts: list[tuple[float, float]]) -> float:
    """Degrees of freedom of a sum of variance estimates, [(variance, df)] (Welch–Satterthwaite), at least 1."""
    parts = [(v, d) for v, d in parts if v > 0 and d > 0]
    if not parts:
        return 0
    total = sum(v for v, _ in parts)
    df = max(1.0, total ** 2 / sum(v ** 2 / d for v, d in parts))
    return float(df)


def _with_effects(reps: Replicates, effects: SetEffects, rest_df: float) -> Replicates:
    """``reps`` with the k-level set effects' weights recorded beside its own draws."""
    reps.weights, reps.groups = effects.weights, np.zeros(effects.weights.shape[1], dtype=int)
    reps.group_df, reps.rest_df = np.array([float(effects.df)]), float(rest_df)
    return reps


def measurement_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int,
                           reference_draws: dict | None = None, effects: SetEffects | None = None) -> Replicates | None:
    """The measurement units of a fixed family, all that changes when the same method is run again.

    Distilled sets where each k has two or more (``set_replicates``), with each
    configuration's reference redrawn from its pooled eval-seed variance (or
    ``reference_draws``); else eval seeds (``eval_seed_replicates``) and the
    k-level set effects of the one set per k (``effects``, else estimated from
    ``frame`` by ``set_effects``).
    """
    col, var = gap_columns(gap)
    sets = set_replicates(frame, gap, rng, resamples)
    if sets is not None:
        ref = eval_seed_replicates(frame, gap, rng, resamples, reference_draws, reference_only=True)
        if ref is not None:
            sets.values = sets.values + ref.values
            sets.rest_df = float(ref.df)
        return sets
    reps = eval_seed_replicates(frame, gap, rng, resamples, reference_draws)
    if reps is None:
        return None
    if effects is None:
        effects = set_effects(frame, gap, rng, resamples)
    if effects is None:
        return reps
    at = np.searchsorted(effects.ipcs, frame["ipc"].to_numpy())
    interaction = effects.interaction[at]
    own = rng.normal(0.0, 1.0, reps.values.shape) * np.sqrt(interaction)
    reps.values = reps.values + effects.at(frame["ipc"]) + own
    v_u, v_v = float(effects.variance[at].mean()), float(interaction.mean())
    v_e = float(np.nanmean(frame[var])) if var in frame.columns else 0.0
    reps.unit, reps.holds_fixed = "eval seeds and k-level set effects", "nothing"
    rest_df = satterthwaite([(v_e, reps.df), (v_v, effects.interaction_df)]) or reps.df
    reps.df = effects.df if v_u > 0 else int(rest_df)
    return _with_effects(reps, effects, rest_df)


def config_replicates(frame: pd.DataFrame, gap: str, rng, resamples: int, effects: SetEffects | None = None,
                      pick: np.ndarray | None = None) -> Replicates | None:
    """Whole configurations drawn with replacement, crossed with the sets where each k has two or more,
    else with the k-level set effects (``effects``, else estimated from ``frame``).

    ``frame`` is sorted by (config, ipc, seed); a replicate's rows are the drawn
    configurations' rows in turn, so it lines up with ``np.tile(k, M)``.
    ``pick`` [B, M] gives the configurations drawn, where two methods compared
    must draw the same ones.
    """
    col, _ = gap_columns(gap)
    sizes = frame.groupby("config", sort=False).size()
    if sizes.nunique() != 1 or len(sizes) < 2:
        return None
    n_configs = len(sizes)
    per_config = int(sizes.iloc[0])
    sets = set_replicates(frame, gap, rng, resamples)
    shared = None
    if sets is not None:
        values = sets.values.reshape(resamples, n_configs, -1)
    else:
        values = np.broadcast_to(frame[col].to_numpy(float).reshape(n_configs, -1), (resamples, n_configs, per_config))
        shared = effects if effects is not None else set_effects(frame, gap, rng, resamples)
    pick = draws(rng, resamples, n_configs) if pick is None else pick
    reps = np.take_along_axis(values, pick[:, :, None].repeat(values.shape[2], axis=2), axis=1)
    df, n, unit = n_configs - 1, n_configs, "configurations"
    if sets is not None:
        return Replicates(reps.reshape(resamples, -1), unit, df, n, sets.weights, sets.groups, sets.group_df,
                          n_configs - 1.0)
    if shared is not None:
        ipc = frame["ipc"].to_numpy()[:per_config]
        reps = reps + shared.at(ipc)[:, None, :]
        v_u = float(shared.row_variance(ipc).mean())
        if v_u > 0:
            unit = "configurations and k-level set effects"
            df = min(df, shared.df)
    out = Replicates(reps.reshape(resamples, -1), unit, df, n,
                     holds_fixed="the distilled sets" if sets is None and shared is None else "nothing")
    return _with_effects(out, shared, n_configs - 1) if shared is not None else out
