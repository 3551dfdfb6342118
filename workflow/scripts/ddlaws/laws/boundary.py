"""The utility boundary: per (dataset, method), how good distillation can get and at what size.

It gathers what the two laws say about one method on one dataset:

* ε_bound, the intercept of the pooled scaling fit Δ = ε_bound + C/√k, with its
  confidence interval: the gap that no number of distilled images removes;
* the saturation test on the same pooled points: the k from which the observed
  gap is flat, and the level of that floor (NaN where no floor is found);
* the free exponent α of Δ = a + b·k^(−α), to read the 1/√k law against;
* ``k_within_tolerance``: the smallest k whose fitted pooled gap is within
  ``tolerance`` of ε_bound, (C/tolerance)², from inverting the fitted curve;
* ``k_target``: the k that keeps the gap over the whole family of M
  configurations below the target, k*(M) of the required-size table.
"""

from __future__ import annotations

import pandas as pd

from .scaling_fit import POOLED, required_ipc

SCALING_COLUMNS = {
    "gap": "gap", "n": "n", "intercept": "eps_bound", "intercept_ci_low": "eps_bound_ci_low",
    "intercept_ci_high": "eps_bound_ci_high", "slope": "sqrt_k_coefficient", "r2": "r2", "estimator": "estimator",
    "saturated": "saturated", "k_sat": "k_sat", "floor": "floor", "saturation_pvalue": "saturation_pvalue",
    "alpha": "alpha", "alpha_ci_low": "alpha_ci_low", "alpha_ci_high": "alpha_ci_high",
}
REQUIRED_COLUMNS = {"n_configs": "n_configs", "target_gap": "target_gap", "k_required": "k_target",
                    "status": "target_status", "extrapolated": "target_extrapolated"}
KEYS = ["dataset", "method"]


def boundary_table(scaling: pd.DataFrame, required: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """One row per (dataset, method), from the scaling table and the required-size table."""
    pooled = scaling[scaling["config"] == POOLED][KEYS + list(SCALING_COLUMNS)].rename(columns=SCALING_COLUMNS)
    pooled["tolerance"] = tolerance
    pooled["k_within_tolerance"] = required_ipc(pooled["eps_bound"], pooled["sqrt_k_coefficient"],
                                                pooled["eps_bound"] + tolerance)
    family = required[required["m"] == required["n_configs"]][KEYS + list(REQUIRED_COLUMNS)]
    return pooled.merge(family.rename(columns=REQUIRED_COLUMNS), on=KEYS, how="left").reset_index(drop=True)
