"""The utility boundary: per (dataset, method), how good distillation can get and at what size.

It gathers what the two laws say about one method on one dataset. Every number
of the scaling law is read off the one shape the pooled fit chose
(``model_choice``: the line Δ = ε + C/√k, the free exponent Δ = ε + C·k^(−α) or
the hinge, each with ε ≥ 0), so that the floor, α and the saturation point
describe the same curve:

* ε_bound, the chosen shape's floor, with its bootstrap interval (or, where the
  floor sits at its bound 0 in the lower tail of the resamples, its upper
  bound: ``eps_bound_ci_kind``), the shape chosen and how often each
  shape won over the resamples;
* α of the chosen shape (½ for the line and the hinge), and its saturation
  point ``k_sat`` (the hinge's breakpoint; NaN for the other two);
* ``k_near_floor``: the smallest k whose chosen curve is within ``tolerance``
  of ε_bound, from inverting that curve (``near_floor_ipc``);
* ``k_target``: the k that keeps the gap over the whole family of M
  configurations below the target (a curve of its own: the worst gap over the
  family, not the pooled Δ). Where the size planner has the target over the
  whole family it is the planner's k: the worst Δ bias-corrected, with its
  interval (``k_target_ci_low``, ``_high``), its ``k_target_reading``
  (finding or prediction, by the curve's held-out check) and the first
  measured k that meets it, so that SUMMARY.md gives one k per target, not
  two. Elsewhere it is k*(M) of the required-size table, a fit to the raw
  worst Δ (biased up, as a max of noisy gaps) without interval or check;
* the coverage coefficient c and the family's entropy;
* as sensitivity, each shape's own floor (``eps_bound_line``, ``_free_exponent``,
  ``_hinge``), the free exponent's α, the hinge's breakpoint, the hinge test
  against the line and the unconstrained OLS intercept.

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

from .scaling_fit import POOLED, near_floor_ipc, size_status

SCALING_COLUMNS = {
    "label_regime": "label_regime", "gap": "gap", "n": "n", "chosen": "chosen",
    "chosen_share_line": "chosen_share_line", "chosen_share_free_exponent": "chosen_share_free_exponent",
    "chosen_share_hinge": "chosen_share_hinge", "aicc_line": "aicc_line",
    "aicc_free_exponent": "aicc_free_exponent", "aicc_hinge": "aicc_hinge",
    "floor_chosen": "eps_bound", "floor_chosen_ci_low": "eps_bound_ci_low",
    "floor_chosen_ci_high": "eps_bound_ci_high", "floor_chosen_ci_kind": "eps_bound_ci_kind",
    "slope_chosen": "coefficient", "alpha_chosen": "alpha", "alpha_chosen_ci_low": "alpha_ci_low",
    "alpha_chosen_ci_high": "alpha_ci_high", "k_sat_chosen": "k_sat",
    "intercept": "eps_bound_line", "free_intercept": "eps_bound_free_exponent", "hinge_intercept": "eps_bound_hinge",
    "alpha": "alpha_free_exponent", "hinge_k_break": "k_sat_hinge", "r2": "r2_line",
    "saturated": "saturated", "saturation_pvalue": "saturation_pvalue", "ols_intercept": "ols_intercept",
    "hc3_intercept_ci_low": "hc3_intercept_ci_low", "hc3_intercept_ci_high": "hc3_intercept_ci_high",
    "bootstrap_unit": "bootstrap_unit", "interval_holds_fixed": "interval_holds_fixed", "ipcs": "ipcs",
}
REQUIRED_COLUMNS = {"n_configs": "n_configs", "target_gap": "target_gap", "k_required": "k_target",
                    "status": "target_status"}
COVERAGE_COLUMNS = ["coverage_coef", "coverage_coef_ci_low", "coverage_coef_ci_high", "r2_two_term",
                    "entropy", "log_m", "effective_number", "noise_share"]
KEYS = ["dataset", "method"]
PLANNED_COLUMNS = {"target_status": "target_status", "k_required": "k_target", "k_ci_low": "k_target_ci_low",
                   "k_ci_high": "k_target_ci_high", "reading": "k_target_reading",
                   "k_measured": "k_target_measured"}


def _with_planner_k(out: pd.DataFrame, planner: pd.DataFrame) -> pd.DataFrame:
    """``out`` with the planner's whole-family k at the same target in place of the required-size table's."""
    keys = KEYS + ["label_regime", "target_gap"]
    whole = planner[planner["family"] == "all"][keys + list(PLANNED_COLUMNS)].rename(columns=PLANNED_COLUMNS)
    planned = out[keys].merge(whole, on=keys, how="left")
    found = planned["k_target_reading"].notna().to_numpy()
    for name in PLANNED_COLUMNS.values():
        if name in out:
            out.loc[found, name] = planned.loc[found, name].to_numpy()
        else:
            out[name] = planned[name].to_numpy()
    return out


def boundary_table(scaling: pd.DataFrame, required: pd.DataFrame, tolerance: float,
                   coverage: pd.DataFrame | None = None, per_class: dict | None = None,
                   planner: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (dataset, method), from the scaling, required-size, coverage and planner tables.

    ``per_class`` maps a dataset to its training images per class (the fewest of any class).
    """
    pooled = scaling[scaling["config"] == POOLED][KEYS + list(SCALING_COLUMNS)].rename(columns=SCALING_COLUMNS)
    pooled["tolerance"] = tolerance
    pooled["k_near_floor"] = near_floor_ipc(pooled["eps_bound"], pooled["coefficient"], pooled["alpha"],
                                            pooled["k_sat"], tolerance)
    family = required[required["m"] == required["n_configs"]][KEYS + list(REQUIRED_COLUMNS)]
    out = pooled.merge(family.rename(columns=REQUIRED_COLUMNS), on=KEYS, how="left")
    if coverage is not None and len(coverage):
        out = out.merge(coverage[KEYS + [c for c in COVERAGE_COLUMNS if c in coverage]], on=KEYS, how="left")
    if planner is not None and len(planner):
        out = _with_planner_k(out, planner)
    per_class = per_class or {}
    out["train_per_class"] = [per_class.get(d, math.nan) for d in out["dataset"]]
    for name in ("k_near_floor", "k_target"):
        out[f"{name}_status"] = [size_status(k, [int(v) for v in str(ipcs).split()], n)
                                 for k, ipcs, n in zip(out[name], out["ipcs"], out["train_per_class"])]
    return out.reset_index(drop=True)
