"""The utility boundary: per (dataset, method), how good distillation can get and at what size.

It gathers what the two laws say about one method on one dataset:

* ε_bound, the floor of the pooled scaling fit Δ = ε_bound + C/√k with ε ≥ 0,
  its bootstrap interval, and the unconstrained OLS intercept beside it;
* the saturation test on the same pooled points, and the free exponent α;
* ``k_near_floor``: the smallest k whose fitted pooled gap is within
  ``tolerance`` of ε_bound, (C/tolerance)², from inverting the fitted curve;
* ``k_target``: the k that keeps the gap over the whole family of M
  configurations below the target, k*(M) of the required-size table;
* the coverage coefficient c and the family's entropy.

A k read off a fitted curve is a finding only inside the measured range. Each
one carries a status (``size_status``): ``measured`` (a k that was run),
``interpolated`` (between the smallest and the largest k run),
``below_measured`` and ``beyond_measured`` (below the smallest and above the
largest k run: extrapolations), or
``beyond_dataset`` (more images per class than the training set has).
"""

from __future__ import annotations

import math

import pandas as pd

from .scaling_fit import POOLED, required_ipc, size_status

SCALING_COLUMNS = {
    "label_regime": "label_regime", "gap": "gap", "n": "n", "intercept": "eps_bound",
    "intercept_ci_low": "eps_bound_ci_low",
    "intercept_ci_high": "eps_bound_ci_high", "ols_intercept": "ols_intercept",
    "hc3_intercept_ci_low": "hc3_intercept_ci_low", "hc3_intercept_ci_high": "hc3_intercept_ci_high",
    "slope": "sqrt_k_coefficient",
    "slope_ci_low": "sqrt_k_coefficient_ci_low", "slope_ci_high": "sqrt_k_coefficient_ci_high", "r2": "r2",
    "saturated": "saturated", "k_sat": "k_sat", "floor": "floor", "saturation_pvalue": "saturation_pvalue",
    "alpha": "alpha", "alpha_ci_low": "alpha_ci_low", "alpha_ci_high": "alpha_ci_high", "preferred": "preferred",
    "bootstrap_unit": "bootstrap_unit", "interval_holds_fixed": "interval_holds_fixed", "ipcs": "ipcs",
}
REQUIRED_COLUMNS = {"n_configs": "n_configs", "target_gap": "target_gap", "k_required": "k_target",
                    "status": "target_status"}
COVERAGE_COLUMNS = ["coverage_coef", "coverage_coef_ci_low", "coverage_coef_ci_high", "r2_two_term",
                    "entropy", "log_m", "effective_number", "noise_share"]
KEYS = ["dataset", "method"]


def boundary_table(scaling: pd.DataFrame, required: pd.DataFrame, tolerance: float,
                   coverage: pd.DataFrame | None = None, per_class: dict | None = None) -> pd.DataFrame:
    """One row per (dataset, method), from the scaling, required-size and coverage tables.

    ``per_class`` maps a dataset to its training images per class (the fewest of any class).
    """
    pooled = scaling[scaling["config"] == POOLED][KEYS + list(SCALING_COLUMNS)].rename(columns=SCALING_COLUMNS)
    pooled["tolerance"] = tolerance
    pooled["k_near_floor"] = required_ipc(pooled["eps_bound"], pooled["sqrt_k_coefficient"],
                                          pooled["eps_bound"] + tolerance)
    family = required[required["m"] == required["n_configs"]][KEYS + list(REQUIRED_COLUMNS)]
    out = pooled.merge(family.rename(columns=REQUIRED_COLUMNS), on=KEYS, how="left")
    if coverage is not None and len(coverage):
        out = out.merge(coverage[KEYS + [c for c in COVERAGE_COLUMNS if c in coverage]], on=KEYS, how="left")
    per_class = per_class or {}
    out["train_per_class"] = [per_class.get(d, math.nan) for d in out["dataset"]]
    for name in ("k_near_floor", "k_target"):
        out[f"{name}_status"] = [size_status(k, [int(v) for v in str(ipcs).split()], n)
                                 for k, ipcs, n in zip(out[name], out["ipcs"], out["train_per_class"])]
    return out.reset_index(drop=True)
