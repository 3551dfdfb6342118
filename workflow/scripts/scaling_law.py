"""Stage 5a: fit Δ = ε_bound + C/√k (and a free exponent), ε_bound ≥ 0, per (dataset, method, config) and pooled."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.scaling_fit import scaling_table
from ddlaws.report.tables import markdown_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    fits = scaling_table(pd.read_csv(snakemake.input.gaps), p.gap, p.estimator, p.confidence, p.resamples,
                         p.bootstrap_seed)
    write_csv(fits, snakemake.output.table)
    columns = ["dataset", "method", "config", "n", "intercept", "intercept_ci_low", "intercept_ci_high",
               "ols_intercept", "slope", "slope_ci_low", "slope_ci_high", "r2", "alpha", "alpha_ci_low",
               "alpha_ci_high", "saturated", "k_sat", "floor", "saturation_pvalue", "chosen", "floor_chosen",
               "floor_chosen_ci_low", "floor_chosen_ci_high", "floor_chosen_ci_kind", "alpha_chosen", "k_sat_chosen",
               "bootstrap_unit"]
    write_text(snakemake.output.markdown,
               f"# Scaling law: Δ = ε_bound + C/√k, ε_bound ≥ 0 (Δ = test-{p.gap} gap, {p.confidence:.0%} "
               f"bootstrap CI over the units in `bootstrap_unit`, {p.resamples} resamples)\n\n"
               "`ols_intercept`: the unconstrained OLS line's intercept (HC3 intervals in scaling.csv). α: "
               "Δ = ε + C·k^(−α), ε ≥ 0. Saturation: hinge Δ = floor + b·max(1/√k − 1/√k_sat, 0) against the line, "
               "F-test, Bonferroni over the breakpoints searched. `chosen`: the shape the findings are read off, "
               "the line unless the free exponent's or the hinge's AICc is lower by 2 or more; the `_chosen` "
               "columns are its floor (an upper bound, or no interval, where `floor_chosen_ci_kind` says so), α and "
               "saturation point, each resample choosing again (shares in scaling.csv).\n\n"
               + markdown_table(fits, columns))
