"""Stage 5h: the size planner: the k predicted to keep the worst gap over the planned family below each target."""

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.laws.planner import per_class_sizes, planner_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    per_class = per_class_sizes(pd.read_csv(snakemake.input.references))
    write_csv(planner_table(pd.read_csv(snakemake.input.gaps), p.targets, p.family, per_class, p.gap, p.statistic,
                            p.confidence, p.resamples, p.bootstrap_seed), snakemake.output.table)
