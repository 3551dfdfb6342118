"""Stage 5a: fit Δ = ε_bound + C/√k per (dataset, method, config) and pooled."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.scaling_fit import scaling_table
from ddlaws.report.tables import markdown_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    fits = scaling_table(pd.read_csv(snakemake.input.gaps), p.gap, p.estimator, p.confidence)
    write_csv(fits, snakemake.output.table)
    columns = ["dataset", "method", "config", "n", "intercept", "intercept_ci_low", "intercept_ci_high",
               "slope", "slope_ci_low", "slope_ci_high", "r2", "saturated", "k_sat", "floor", "saturation_pvalue",
               "alpha", "alpha_ci_low", "alpha_ci_high"]
    write_text(snakemake.output.markdown,
               f"# Scaling law: Δ = ε_bound + C/√k (Δ = test-{p.gap} gap, {p.estimator}, "
               f"{p.confidence:.0%} CI)\n\nSaturation: hinge Δ = floor + b·max(1/√k − 1/√k_sat, 0) against the line, "
               "F-test, Bonferroni over the breakpoints searched. α: Δ = a + b·k^(−α), profile-likelihood CI.\n\n"
               + markdown_table(fits, columns))
