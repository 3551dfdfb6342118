"""Stage 5b: the coverage law, Y over subsets of m configurations against 1/√k and √H/√k, and the size it requires."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.coverage_fit import ENTROPY_NAMES, coverage_law
from ddlaws.laws.required_size import required_growth, required_size_table
from ddlaws.report.tables import markdown_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    fits, points, cloud = coverage_law(pd.read_csv(snakemake.input.gaps), p.gap, p.subsets, p.subset_seed,
                                       p.statistic, p.x_form, p.confidence, p.resamples, p.bootstrap_seed,
                                       p.entropy_radius)
    required = required_size_table(points, p.target_gap, p.x_form, p.confidence)
    table = fits.merge(required_growth(required, p.confidence), on=["dataset", "method"], how="left")
    write_csv(table, snakemake.output.table)
    write_csv(points, snakemake.output.points)
    write_csv(cloud, snakemake.output.subsets)
    write_csv(required, snakemake.output.required)
    entropy = ENTROPY_NAMES[p.x_form]
    write_text(snakemake.output.markdown,
               f"# Coverage law: Y = {p.statistic} of Δ (test-{p.gap} gap) over m configurations against "
               f"X = √({entropy})/√k\n\nOn the mean Y over up to {p.subsets} subsets at each (k, m). Two-term law "
               f"Y = a + b/√k + c·√H/√k: `coverage_coef` c with its {p.confidence:.0%} bootstrap CI over the "
               "family's eval seeds (or distilled sets), `r2_two_term`, and `two_term_pvalue` (F-test of the 1/√k "
               "term); with each subset's H from the gap profiles: `coverage_coef_entropy`, `r2_two_term_entropy`. "
               f"One-term fit Y = a + s·X (the paper's Fig. 3): `slope`, HC3 CI, `r2`. `required_slope`: growth "
               f"of the k needed for Y ≤ {p.target_gap} per unit of {entropy}, fitted only where every k* lies "
               "inside the measured range (`required_outside` counts those that do not).\n\n"
               + markdown_table(table, ["dataset", "method", "n_configs", "coverage_coef", "coverage_coef_ci_low",
                                        "coverage_coef_ci_high", "r2_two_term", "two_term_pvalue",
                                        "coverage_coef_entropy", "r2_two_term_entropy", "entropy", "log_m",
                                        "effective_number", "slope", "slope_ci_low", "slope_ci_high", "r2",
                                        "required_n", "required_outside", "required_slope"])
               + f"\n## Required size: Y_m(k) = a_m + b_m/√k reaches {p.target_gap} at k*(m)\n\n"
               + markdown_table(required, ["dataset", "method", "m", "entropy", "intercept", "slope",
                                           "k_required", "status", "k_required_status"]))
