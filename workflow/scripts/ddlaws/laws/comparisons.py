"""Does one method beat another? Every pair of methods on a dataset and label regime, with tests.

Per (dataset, label regime) and pair of methods (a, b), in alphabetical order,
the table gives a − b of:

* ``eps_line`` and ``c_line``: the floor ε and the coefficient C of the pooled
  scaling law's line Δ = ε + C/√k (ε ≥ 0), and ``alpha_free``, the exponent of
  Δ = ε + C·k^(−α) (``scaling_fit``), each fitted on the points both methods have;
* ``coverage_coef``: the coverage coefficient c of the two-term coverage law;
* ``worst``: the worst Δ over the family at each k (``ipc`` 0: its mean over k), bias-corrected as c is;
* ``mean_ior``: the accuracy gain over random selection at the same k and
  configuration (``ranking``), averaged over the family, where random was run.

A pair is compared only at the configurations and k both have (``paired``).

**Resampling.** The scaling law describes the family's average curve as a
sample of configurations (``bootstrap``), so its differences redraw whole
configurations, one draw for both methods: a drawn configuration brings both
methods' Δ, measured against its one reference, which cancels. (Only the
configurations are redrawn, the top level of the design; the sets inside them
come along.) The other statistics belong to this fixed family: both methods'
measurements are redrawn with the same reference draws (``paired``). Random
selection's accuracy cancels in a difference of IORs, which is the accuracy
difference, −(Δ_a − Δ_b) in test error, so its resamples are those of the
test-error gap.

**Tests.** Each difference has a two-sided bootstrap p-value
(``paired.bootstrap_pvalue``). Holm's step-down adjustment (``pvalue_holm``)
runs over two families per (dataset, label regime): ``overall``, every pair
× the law parameters and the means over k, the claims SUMMARY.md makes; and
``per_k``, every pair × statistic × k. Within each, the chance of calling any
pair different where none is stays below 1 − confidence. ``differs`` is
``pvalue_holm`` < 1 − confidence.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from .bootstrap import Replicates, config_replicates, draws, keyed_rng
from .gaps import gap_columns
from .paired import (Family, at_one_k, bootstrap_pvalue, common_design, estimate_interval, measured_family,
                     paired_units, shared_reference_draws)
from .ranking import BASELINE, mean_ior, ranking_table
from .scaling_fit import _estimates

ALL_K = 0
SCALING = {"eps_line": "eps", "c_line": "c", "alpha_free": "alpha"}
COLUMNS = ["dataset", "label_regime", "method_a", "method_b", "statistic", "ipc", "value_a", "value_b", "diff",
           "diff_ci_low", "diff_ci_high", "pvalue", "pvalue_holm", "holm_family", "tests", "differs",
           "bootstrap_unit", "n_configs", "ipcs"]


def holm(pvalues: pd.Series) -> pd.Series:
    """Holm's step-down adjusted p-values; NaN p-values are left out of the family and stay NaN.

    The i-th smallest of n p-values becomes the largest of (n − j + 1)·p_(j) over j ≤ i, at most 1.
    """
    known = pvalues.dropna()
    order = np.argsort(known.to_numpy(float), kind="stable")
    ranked = known.to_numpy(float)[order] * (len(known) - np.arange(len(known)))
    adjusted = np.empty(len(known))
    adjusted[order] = np.minimum(np.maximum.accumulate(ranked), 1.0)
    return pd.Series(adjusted, index=known.index).reindex(pvalues.index)


def _scaling(families: dict, pick: np.ndarray | None, gap: str, rng) -> tuple[dict, Replicates | None]:
    """Per method: the pooled fits' (ε, C, α) and their [B] redraws, and the units both redraws share.

    As the pooled scaling law's interval (``bootstrap.config_replicates``): the
    configurations drawn by ``pick`` [B, configuration], the same for both
    methods, crossed with each method's own distilled sets (or set effects),
    which are drawn independently, as the two methods' sets are.
    """
    col, _ = gap_columns(gap)
    out, units = {}, []
    for method, family in families.items():
        frame = family.frame
        k = frame["ipc"].to_numpy(float)
        point = _estimates(k, frame[col].to_numpy(float)[None], refine=True)
        resampled = None if pick is None else config_replicates(frame, gap, rng, len(pick), pick=pick)
        redrawn = {} if resampled is None else _estimates(k, resampled.values)
        units.append(resampled)
        out[method] = {name: (float(point[key][0]) if key in point else math.nan, redrawn.get(key))
                       for name, key in SCALING.items()}
    return out, paired_units(*units)


def _per_k(value: np.ndarray, redrawn: np.ndarray | None, ipcs: list[int]) -> dict:
    """{k: (value, [B] redraws)} of a per-k statistic [k] redrawn [B, k], and its mean over k at ``ALL_K``."""
    out = {k: (float(value[i]), None if redrawn is None else redrawn[:, i]) for i, k in enumerate(ipcs)}
    out[ALL_K] = (float(np.mean(value)), None if redrawn is None else redrawn.mean(axis=1))
    return out


def _ior(rows: pd.DataFrame, random_rows: pd.DataFrame, families: dict, configs, ipcs) -> dict:
    """Per method: {k: (mean IOR, [B] draws of −mean Δ_err)} at the k where random has every configuration.

    The draws are the IOR's up to random's accuracy, a constant that cancels in a difference.
    """
    random_rows = random_rows[random_rows["config"].isin(configs) & random_rows["ipc"].isin(ipcs)]
    have = random_rows.groupby("ipc")["config"].nunique()
    ior_ipcs = [k for k in ipcs if have.get(k, 0) == len(configs)]
    if not ior_ipcs:
        return {}
    table = ranking_table(pd.concat([rows[rows["method"] != BASELINE], random_rows]))
    means = mean_ior(table).set_index(["method", "ipc"])["ior"]
    where = [ipcs.index(k) for k in ior_ipcs]
    return {method: _per_k(np.array([means[(method, k)] for k in ior_ipcs]),
                           None if family.redrawn is None else -family.redrawn[:, where, :].mean(axis=2), ior_ipcs)
            for method, family in families.items()}


def _statistics(rows: pd.DataFrame, random_rows: pd.DataFrame, pair: tuple[str, str], configs, ipcs, gap: str,
                rng, resamples: int, settings: tuple) -> dict:
    """{statistic: (the units its interval reads, {k: {method: (value, [B] redraws or None)}})} of one pair."""
    reference_draws = shared_reference_draws(rows, gap, rng, resamples)
    families = {m: measured_family(rows, m, configs, ipcs, gap, rng, resamples, reference_draws, *settings, pair[0])
                for m in pair}
    measured = paired_units(*(families[m].resampled for m in pair))
    pick = draws(rng, resamples, len(configs)) if resamples >= 10 and len(configs) >= 2 else None
    scaling, configurations = _scaling(families, pick, gap, rng)
    out = {name: (configurations, {ALL_K: {m: scaling[m][name] for m in pair}}) for name in SCALING}
    out["coverage_coef"] = (measured, {ALL_K: {m: (families[m].coverage_coef, families[m].coverage_coef_draws)
                                               for m in pair}})
    worst = {m: _per_k(families[m].cells.max(axis=1),
                       None if families[m].redrawn is None else families[m].redrawn.max(axis=2), ipcs) for m in pair}
    out["worst"] = (measured, {k: {m: worst[m][k] for m in pair} for k in worst[pair[0]]})
    if len(random_rows):
        errors = families if gap == "error" else _error_families(rows, pair, configs, ipcs, rng, resamples, settings)
        ior = _ior(rows, random_rows, errors, configs, ipcs)
        if ior:
            out["mean_ior"] = (paired_units(*(errors[m].resampled for m in pair)),
                               {k: {m: ior[m][k] for m in pair} for k in ior[pair[0]]})
    return out


def _compare(data: pd.DataFrame, random_rows: pd.DataFrame, pair: tuple[str, str], gap: str, settings: tuple,
             confidence: float, resamples: int, rng) -> list[dict]:
    """The rows of one pair in ``data`` (one dataset and label regime): each statistic's a − b, its interval and p.

    ``random_rows`` are random selection's on the dataset, whatever their label regime, for the IOR.
    """
    design = common_design(data, list(pair), gap)
    if design is None:
        return []
    rows, configs, ipcs = design
    out = []
    for name, (units, by_k) in _statistics(rows, random_rows, pair, configs, ipcs, gap, rng, resamples,
                                           settings).items():
        for k, values in by_k.items():
            (value_a, redrawn_a), (value_b, redrawn_b) = values[pair[0]], values[pair[1]]
            diff = value_a - value_b
            samples = None if redrawn_a is None or redrawn_b is None else redrawn_a - redrawn_b
            units_here = units if k == ALL_K else at_one_k(units)
            # maxima, and fits to them, are biased upwards: corrected, as coverage_fit's c (paired.MAXIMA)
            value_a, value_b = (estimate_interval(name, draw, value, confidence, units_here)[0]
                                for value, draw in ((value_a, redrawn_a), (value_b, redrawn_b)))
            diff, low, high = estimate_interval(name, samples, diff, confidence, units_here)
            out.append({"statistic": name, "ipc": int(k), "value_a": value_a, "value_b": value_b, "diff": diff,
                        "diff_ci_low": low, "diff_ci_high": high,
                        "pvalue": bootstrap_pvalue(diff, samples, units_here),
                        "holm_family": "overall" if k == ALL_K else "per_k",
                        "bootstrap_unit": "none" if units is None else units.unit, "n_configs": len(configs),
                        "ipcs": " ".join(str(int(v)) for v in ipcs)})
    return out


def _error_families(rows, pair, configs, ipcs, rng, resamples, settings) -> dict[str, Family]:
    """Both methods' families in test error (for IOR where the laws fit the loss gap), with their own reference
    draws."""
    reference_draws = shared_reference_draws(rows, "error", rng, resamples)
    return {m: measured_family(rows, m, configs, ipcs, "error", rng, resamples, reference_draws, *settings, pair[0])
            for m in pair}


def comparisons_table(gaps: pd.DataFrame, gap: str = "error", draws: int = 200, seed: int = 0,
                      statistic: str = "max", x_form: str = "log", confidence: float = 0.95,
                      resamples: int = 1000, bootstrap_seed: int = 0) -> pd.DataFrame:
    """One row per (dataset, label regime, pair, statistic, k); ``ipc`` 0 for the law parameters and means over k."""
    out = []
    for (dataset, regime), data in gaps.groupby(["dataset", "label_regime"], sort=True):
        random_rows = gaps[(gaps["dataset"] == dataset) & (gaps["method"] == BASELINE)]
        for pair in itertools.combinations(sorted(data["method"].unique()), 2):
            rng = keyed_rng(bootstrap_seed, f"{dataset}/{regime}/{pair[0]}/{pair[1]}")
            out += [{"dataset": dataset, "label_regime": regime, "method_a": pair[0], "method_b": pair[1], **row}
                    for row in _compare(data, random_rows, pair, gap, (draws, seed, statistic, x_form), confidence,
                                        resamples, rng)]
    table = pd.DataFrame(out, columns=[c for c in COLUMNS if c not in ("pvalue_holm", "tests", "differs")])
    groups = table.groupby(["dataset", "label_regime", "holm_family"], sort=False)["pvalue"]
    table["pvalue_holm"] = groups.transform(holm) if len(table) else []
    table["tests"] = groups.transform("count") if len(table) else []
    table["differs"] = table["pvalue_holm"] < 1 - confidence
    return table[COLUMNS]
