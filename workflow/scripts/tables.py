"""Stage 4c: gather the per-job rows into the tidy tables and compute Δ."""

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.laws.gaps import gap_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    evaluations = pd.concat([pd.read_csv(p) for p in snakemake.input.evaluations], ignore_index=True)
    references = pd.concat([pd.read_csv(p) for p in snakemake.input.references], ignore_index=True)
    write_csv(evaluations, snakemake.output.evaluations)
    write_csv(references, snakemake.output.references)
    write_csv(gap_table(evaluations, references), snakemake.output.gaps)
