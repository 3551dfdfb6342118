"""Stage 5d: IOR and Δ per (dataset, method, k, configuration), as benchmarks of distillation report them."""

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.laws.ranking import ranking_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    write_csv(ranking_table(pd.read_csv(snakemake.input.gaps), snakemake.params.gap), snakemake.output.table)
