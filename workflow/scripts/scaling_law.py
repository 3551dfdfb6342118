"""Stage 5a: fit Δ = ε_bound + C/√k (and a free exponent), ε_bound ≥ 0, per (dataset, method, config) and pooled."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.scaling_fit import scaling_table
from ddlaws.report.law_pages import scaling_page
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    fits = scaling_table(pd.read_csv(snakemake.input.gaps), p.gap, p.estimator, p.confidence, p.resamples,
                         p.bootstrap_seed)
    write_csv(fits, snakemake.output.table)
    write_text(snakemake.output.markdown, scaling_page(fits, p.gap, p.confidence, p.resamples))
