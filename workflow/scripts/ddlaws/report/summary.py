"""SUMMARY.md: the page a user reads first, the utility boundary in plain words.

It restates what Δ is and how the fits were made, then gives, per (dataset,
method), the floor, whether and where the gap saturates, the exponent against
the law's ½, the sizes that reach the floor and the target, and the coverage
law; the compact tables follow for the numbers themselves.
"""

from __future__ import annotations

import math

import pandas as pd

from ..laws.coverage_fit import ENTROPY_NAMES
from .tables import format_number, markdown_table

GAP_WORDS = {"error": "test-error", "loss": "test-loss"}
ESTIMATOR_WORDS = {"ols-hc3": "OLS with HC3 robust standard errors", "ols": "OLS",
                   "wls": "WLS weighted by 1/var of Δ over eval seeds"}
STATISTIC_WORDS = {"max": "worst", "mean": "mean"}
BOUNDARY_COLUMNS = ["dataset", "method", "n_configs", "eps_bound", "eps_bound_ci_low", "eps_bound_ci_high",
                    "saturated", "k_sat", "floor", "alpha", "alpha_ci_low", "alpha_ci_high",
                    "k_within_tolerance", "k_target", "target_status"]
COVERAGE_COLUMNS = ["dataset", "method", "n", "slope", "slope_ci_low", "slope_ci_high", "r2",
                    "required_slope", "required_slope_ci_low", "required_slope_ci_high"]


def _n(value: float) -> str:
    return format_number(value, 3)


def _ci(record, name: str, confidence: float) -> str:
    """The interval of field ``name`` of a table row, from its _ci_low and _ci_high columns."""
    return f"{confidence:.0%} CI {_n(getattr(record, name + '_ci_low'))} to {_n(getattr(record, name + '_ci_high'))}"


def _size(k: float) -> str:
    """A size in images per class: the smallest whole k that suffices."""
    return "–" if math.isnan(k) else f"{math.ceil(k):,}"


def _saturation(row) -> str:
    if row.saturated:
        return (f"the gap stops falling at k = {_size(row.k_sat)}, at a floor of {_n(row.floor)} "
                f"(p = {_n(row.saturation_pvalue)}, hinge against line).")
    if math.isnan(row.saturation_pvalue):
        return "too few distinct k to test for a floor."
    return f"no floor within the observed k (p = {_n(row.saturation_pvalue)}): 1/√k still explains the gap."


def _exponent(row, confidence: float) -> str:
    if math.isnan(row.alpha):
        return "too few distinct k to fit α."
    verdict = "inside" if row.alpha_ci_low <= 0.5 <= row.alpha_ci_high else "outside"
    return (f"Δ = a + b·k^(−α) gives α = {_n(row.alpha)} ({_ci(row, 'alpha', confidence)}); "
            f"the law's ½ is {verdict} it.")


def _near_floor(row) -> str:
    if math.isnan(row.k_within_tolerance):
        return "the fitted gap does not fall with k, so no size brings it nearer ε_bound."
    return (f"the fitted line Δ = ε_bound + C/√k comes within {_n(row.tolerance)} of ε_bound "
            f"from k ≥ {_size(row.k_within_tolerance)}.")


def _target(row, fit) -> str:
    if fit is None or not isinstance(row.target_status, str):
        return "no coverage fit for this method."
    n_configs = int(row.n_configs)
    family = (f"keeping the {STATISTIC_WORDS[fit.statistic]} gap over all {n_configs} "
              f"configuration{'s' * (n_configs != 1)} below ε = {_n(row.target_gap)}")
    if row.target_status == "reachable":
        note = ", beyond the largest k measured (an extrapolation)" if row.target_extrapolated else ""
        return f"{family} needs k ≥ {_size(row.k_target)}{note}."
    return f"{family} is out of reach on the fitted curve ({row.target_status})."


def _coverage(fit, confidence: float) -> str:
    if fit is None or math.isnan(fit.slope):
        return "not fitted: too few distinct X = √(H)/√k (one configuration, or one k)."
    entropy = ENTROPY_NAMES[fit.x_form]
    text = (f"the {STATISTIC_WORDS[fit.statistic]} gap over m configurations rises by {_n(fit.slope)} "
            f"({_ci(fit, 'slope', confidence)}) per unit of √({entropy})/√k; ")
    if math.isnan(fit.required_slope):
        return text + "too few m reach the target to tell how the required k grows."
    return text + (f"the k needed for the target grows by {_n(fit.required_slope)} "
                   f"({_ci(fit, 'required_slope', confidence)}) per unit of {entropy}.")


def _how(boundary: pd.DataFrame, coverage: pd.DataFrame, confidence: float) -> str:
    """What Δ is and how each law was fitted."""
    gap = boundary["gap"].iloc[0]
    estimators = ", ".join(ESTIMATOR_WORDS.get(e, e) for e in sorted(boundary["estimator"].unique()))
    text = (f"Δ is the {GAP_WORDS[gap]} gap: the test {gap} of a model trained on the distilled set minus that "
            "of the same training configuration trained on the full training set, each the mean over evaluation "
            "seeds; k is the number of distilled images per class. The scaling law Δ = ε_bound + C/√k is fitted "
            f"on the points of all configurations together ({estimators}).")
    if len(coverage):
        fit = coverage.iloc[0]
        text += (f" The coverage law takes the {STATISTIC_WORDS[fit['statistic']]} Δ within random subsets of m "
                 f"configurations, averages it over up to {fit['subsets']} subsets at each (k, m), and fits that "
                 f"mean against √({ENTROPY_NAMES[fit['x_form']]})/√k by OLS with HC3 robust standard errors.")
    return text + f" Intervals are {confidence:.0%} confidence intervals."


def summary_markdown(boundary: pd.DataFrame, coverage: pd.DataFrame, confidence: float = 0.95) -> str:
    """The Markdown text of SUMMARY.md from the boundary and coverage tables."""
    lines = ["# Utility boundary of dataset distillation", ""]
    if len(boundary):
        lines += [_how(boundary, coverage, confidence), ""]
    fits = {(fit.dataset, fit.method): fit for fit in coverage.itertuples(index=False)}
    for row in boundary.itertuples(index=False):
        fit = fits.get((row.dataset, row.method))
        lines += [
            f"## {row.dataset} · {row.method}",
            "",
            f"- **ε_bound:** {_n(row.eps_bound)} ({_ci(row, 'eps_bound', confidence)}), the gap the fitted line "
            f"tends to as k grows; C = {_n(row.sqrt_k_coefficient)}.",
            f"- **Saturation:** {_saturation(row)}",
            f"- **Exponent:** {_exponent(row, confidence)}",
            f"- **Near the floor:** {_near_floor(row)}",
            f"- **Whole family:** {_target(row, fit)}",
            f"- **Coverage:** {_coverage(fit, confidence)}",
            "",
        ]
    lines += ["## Boundary", "", markdown_table(boundary, BOUNDARY_COLUMNS),
              "## Coverage law", "", markdown_table(coverage, COVERAGE_COLUMNS)]
    return "\n".join(lines)
