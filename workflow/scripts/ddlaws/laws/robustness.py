"""Does distilling against a pool of configurations buy robustness? Each pool variant against its plain method.

The coverage law says the size a set needs grows with the diversity of the
configurations it must serve. A pool variant distils against several; the
question is whether that lowers the worst gap over the evaluation family, and
above all over the configurations its pool did not contain. Per (dataset,
pool variant, k) the table gives, for the plain method and the variant:

* the worst Δ over the whole family, the mean Δ, and the worst Δ over the
  in-pool and over the out-of-pool configurations;
* the coverage coefficient c of each (one value per dataset, repeated per k);
* the worst Δ and c, maxima and a fit to maxima, bias-corrected as in
  ``coverage_fit`` (``paired.MAXIMA``), and their differences likewise;
* pool minus plain for each, with its interval.

Both are compared at the configurations and k both have, and intervals redraw
both methods' measurements (their distilled sets, or eval seeds and the effect
of their one set per k) with the same draws of each reference, so that the
reference cancels in their difference (``paired``); a difference's interval is
the interval of the differences, its df from both methods' draws.
A row with ``ipc`` 0 averages the per-k values over the k measured.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .bootstrap import keyed_rng
from .paired import (at_one_k, common_design, estimate_interval, measured_family, paired_units,
                     shared_reference_draws)

STATISTICS = ("worst", "mean", "worst_in_pool", "worst_out_of_pool")
ALL_K = 0


def _statistics(cells: np.ndarray, in_pool: np.ndarray) -> dict:
    """The four gaps of ``STATISTICS`` per k, each [B, k] (NaN where a group is empty)."""
    empty = np.full(cells.shape[:2], np.nan)
    return {"worst": cells.max(axis=2), "mean": cells.mean(axis=2),
            "worst_in_pool": cells[:, :, in_pool].max(axis=2) if in_pool.any() else empty,
            "worst_out_of_pool": cells[:, :, ~in_pool].max(axis=2) if (~in_pool).any() else empty}


def robustness_table(gaps: pd.DataFrame, variants: dict, gap: str = "error", draws: int = 200, seed: int = 0,
                     statistic: str = "max", x_form: str = "log", confidence: float = 0.95,
                     resamples: int = 1000, bootstrap_seed: int = 0) -> pd.DataFrame:
    """One row per (dataset, pool variant, k), and one per (dataset, pool variant) over all k (``ipc`` 0).

    ``variants`` maps a pool variant's name to ``{"method": plain method, "in_pool": [configurations]}``.
    """
    rows = []
    for dataset, data in gaps.groupby("dataset", sort=True):
        for variant, spec in sorted(variants.items()):
            plain = spec["method"]
            rng = keyed_rng(bootstrap_seed, f"{dataset}/{variant}")
            design = common_design(data, [plain, variant], gap)
            if design is None:
                continue
            # the k both were distilled at: each k's difference, and their mean, compare like with like
            pair, configs, ipcs = design
            in_pool = np.array([c in set(spec["in_pool"]) for c in configs])
            reference_draws = shared_reference_draws(pair, gap, rng, resamples)
            stats, reps, coefs, units = {}, {}, {}, {}
            for method in (plain, variant):
                family = measured_family(pair, method, configs, ipcs, gap, rng, resamples, reference_draws, draws,
                                         seed, statistic, x_form, subsets_of=plain)
                stats[method] = {name: value[0] for name, value in _statistics(family.cells[None], in_pool).items()}
                coefs[method] = family.coverage_coef
                units[method] = family.resampled
                if family.redrawn is not None:
                    reps[method] = _statistics(family.redrawn, in_pool)
                    reps[method]["coverage_coef"] = family.coverage_coef_draws
            unit = paired_units(units[plain], units[variant])
            for i, k in enumerate(list(ipcs) + [ALL_K]):
                row = {"dataset": dataset, "method": plain, "pool_variant": variant, "ipc": int(k),
                       "in_pool": " ".join(c for c, inside in zip(configs, in_pool) if inside),
                       "out_of_pool": " ".join(c for c, inside in zip(configs, in_pool) if not inside)}
                for name in STATISTICS + ("coverage_coef",):
                    of_all_k = k == ALL_K or name == "coverage_coef"  # else a per-k statistic, on that k's sets
                    raw, samples = {}, {}
                    for method, tag in ((plain, "plain"), (variant, "pool")):
                        if name == "coverage_coef":
                            raw[tag], samples[tag] = coefs[method], reps.get(method, {}).get(name)
                        else:
                            point = stats[method][name]
                            raw[tag] = float(np.mean(point)) if k == ALL_K else float(point[i])
                            draw = reps.get(method, {}).get(name)
                            samples[tag] = (None if draw is None else draw.mean(axis=1) if k == ALL_K
                                            else draw[:, i])
                        (row[f"{name}_{tag}"], row[f"{name}_{tag}_ci_low"],
                         row[f"{name}_{tag}_ci_high"]) = estimate_interval(
                            name, samples[tag], raw[tag], confidence,
                            units[method] if of_all_k else at_one_k(units[method]))
                    diff = None if unit is None else samples["pool"] - samples["plain"]
                    (row[f"{name}_diff"], row[f"{name}_diff_ci_low"], row[f"{name}_diff_ci_high"]) = estimate_interval(
                        name, diff, raw["pool"] - raw["plain"], confidence, unit if of_all_k else at_one_k(unit))
                rows.append(row)
    return pd.DataFrame(rows)
