"""Stage 5e: each pool variant against its plain method: worst, mean, in- and out-of-pool gaps, coverage c."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.robustness import robustness_table
from ddlaws.report.tables import markdown_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    table = robustness_table(pd.read_csv(snakemake.input.gaps), dict(p.variants), p.gap, p.subsets, p.subset_seed,
                             p.statistic, p.x_form, p.confidence, p.resamples, p.bootstrap_seed)
    write_csv(table, snakemake.output.table)
    columns = ["dataset", "method", "pool_variant", "ipc", "worst_plain", "worst_pool", "worst_diff",
               "worst_diff_ci_low", "worst_diff_ci_high", "worst_out_of_pool_diff", "worst_out_of_pool_diff_ci_low",
               "worst_out_of_pool_diff_ci_high", "mean_diff", "coverage_coef_diff", "coverage_coef_diff_ci_low",
               "coverage_coef_diff_ci_high"]
    write_text(snakemake.output.markdown,
               "# Robustness: each pool variant against its plain method\n\nΔ over the evaluation family per k "
               f"(`ipc` 0: the mean over k); `_diff` is pool minus plain, {p.confidence:.0%} bootstrap CI over the "
               "eval seeds (or distilled sets), one draw per shared reference.\n\n"
               + (markdown_table(table, columns) if len(table) else "No pool variant in `methods`.\n"))
