"""Stage 5b: the coverage law, Y over subsets of m configurations against √(log m)/√k, and the size it requires."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.coverage_fit import ENTROPY_NAMES, coverage_law
from ddlaws.laws.required_size import required_growth, required_size_table
from ddlaws.report.tables import markdown_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    fits, points, cloud = coverage_law(pd.read_csv(snakemake.input.gaps), p.gap, p.subsets, p.subset_seed,
                                       p.statistic, p.x_form, p.confidence)
    required = required_size_table(points, p.target_gap, p.x_form, p.confidence)
    table = fits.merge(required_growth(required, p.confidence), on=["dataset", "method"], how="left")
    write_csv(table, snakemake.output.table)
    write_csv(points, snakemake.output.points)
    write_csv(cloud, snakemake.output.subsets)
    write_csv(required, snakemake.output.required)
    entropy = ENTROPY_NAMES[p.x_form]
    write_text(snakemake.output.markdown,
               f"# Coverage law: Y = {p.statistic} of Δ (test-{p.gap} gap) over m configurations against "
               f"X = √({entropy})/√k\n\nOLS with HC3 SE on the mean Y over up to {p.subsets} subsets at each (k, m), "
               f"{p.confidence:.0%} CI; `required_slope`: growth of the k needed for Y ≤ {p.target_gap} per unit "
               f"of {entropy}.\n\n"
               + markdown_table(table, ["dataset", "method", "n_configs", "n", "intercept", "slope", "slope_ci_low",
                                        "slope_ci_high", "r2", "required_n", "required_slope",
                                        "required_slope_ci_low", "required_slope_ci_high"])
               + f"\n## Required size: Y_m(k) = a_m + b_m/√k reaches {p.target_gap} at k*(m)\n\n"
               + markdown_table(required, ["dataset", "method", "m", "entropy", "intercept", "slope",
                                           "k_required", "status", "extrapolated"]))
