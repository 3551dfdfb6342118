"""The Markdown pages of the law tables (scaling.md, coverage.md), for the law stages and the laws CLI alike.

Each page says what its table's columns mean under the settings it was fitted
with, and then shows them; one function per page, so that the pipeline and
``ddlaws-laws`` write the same page from the same table.
"""

from __future__ import annotations

import pandas as pd

from ..laws.coverage_fit import ENTROPY_NAMES
from .tables import markdown_table

SCALING_COLUMNS = ["dataset", "method", "config", "n", "intercept", "intercept_ci_low", "intercept_ci_high",
                   "ols_intercept", "slope", "slope_ci_low", "slope_ci_high", "r2", "alpha", "alpha_ci_low",
                   "alpha_ci_high", "saturated", "k_sat", "floor", "saturation_pvalue", "chosen", "floor_chosen",
                   "floor_chosen_ci_low", "floor_chosen_ci_high", "floor_chosen_ci_kind", "alpha_chosen",
                   "k_sat_chosen", "bootstrap_unit"]
COVERAGE_COLUMNS = ["dataset", "method", "n_configs", "coverage_coef", "coverage_coef_ci_low", "coverage_coef_ci_high",
                    "r2_two_term", "two_term_pvalue", "coverage_coef_entropy", "r2_two_term_entropy", "entropy",
                    "log_m", "effective_number", "slope", "slope_ci_low", "slope_ci_high", "r2", "required_n",
                    "required_outside", "required_slope"]
REQUIRED_COLUMNS = ["dataset", "method", "m", "entropy", "intercept", "slope", "k_required", "status",
                    "k_required_status"]


def scaling_page(fits: pd.DataFrame, gap: str, confidence: float, resamples: int) -> str:
    """scaling.md: the scaling-law fits of ``scaling_fit.scaling_table``."""
    return (f"# Scaling law: Δ = ε_bound + C/√k, ε_bound ≥ 0 (Δ = test-{gap} gap, {confidence:.0%} "
            f"bootstrap CI over the units in `bootstrap_unit`, {resamples} resamples)\n\n"
            "`ols_intercept`: the unconstrained OLS line's intercept (HC3 intervals in scaling.csv). α: "
            "Δ = ε + C·k^(−α), ε ≥ 0. Saturation: hinge Δ = floor + b·max(1/√k − 1/√k_sat, 0) against the line, "
            "F-test, Bonferroni over the breakpoints searched. `chosen`: the shape the findings are read off, "
            "the line unless the free exponent's or the hinge's AICc is lower by 2 or more; the `_chosen` "
            "columns are its floor (an upper bound, or no interval, where `floor_chosen_ci_kind` says so), α and "
            "saturation point, each resample choosing again (shares in scaling.csv).\n\n"
            + markdown_table(fits, SCALING_COLUMNS))


def coverage_page(table: pd.DataFrame, required: pd.DataFrame, gap: str, statistic: str, subsets: int, x_form: str,
                  target_gap: float, confidence: float) -> str:
    """coverage.md: the coverage-law fits with their required-size growth, and the required-size table."""
    entropy = ENTROPY_NAMES[x_form]
    return (f"# Coverage law: Y = {statistic} of Δ (test-{gap} gap) over m configurations against "
            f"X = √({entropy})/√k\n\nOn the mean Y over up to {subsets} subsets at each (k, m). Two-term law "
            f"Y = a + b/√k + c·√H/√k: `coverage_coef` c with its {confidence:.0%} bootstrap CI over the "
            "family's eval seeds (or distilled sets), `r2_two_term`, and `two_term_pvalue` (F-test of the 1/√k "
            "term); with each subset's H from the gap profiles: `coverage_coef_entropy`, `r2_two_term_entropy`. "
            f"One-term fit Y = a + s·X (the paper's Fig. 3): `slope`, HC3 CI, `r2`. `required_slope`: growth "
            f"of the k needed for Y ≤ {target_gap} per unit of {entropy}, fitted only where every k* lies "
            "inside the measured range (`required_outside` counts those that do not).\n\n"
            + markdown_table(table, COVERAGE_COLUMNS)
            + f"\n## Required size: Y_m(k) = a_m + b_m/√k reaches {target_gap} at k*(m)\n\n"
            + markdown_table(required, REQUIRED_COLUMNS))
