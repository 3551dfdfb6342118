"""Stage 5f: every pair of methods compared, with Holm-adjusted tests; per method, whether one curve fits every
configuration."""

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.laws.comparisons import comparisons_table
from ddlaws.laws.heterogeneity import heterogeneity_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    gaps = pd.read_csv(snakemake.input.gaps)
    write_csv(comparisons_table(gaps, p.gap, p.subsets, p.subset_seed, p.statistic, p.x_form, p.confidence,
                                p.resamples, p.bootstrap_seed), snakemake.output.table)
    write_csv(heterogeneity_table(gaps, p.gap, p.confidence, p.resamples, p.bootstrap_seed),
              snakemake.output.heterogeneity)
