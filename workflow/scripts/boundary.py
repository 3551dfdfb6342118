"""Stage 5c: the utility boundary per (dataset, method), and SUMMARY.md, the page to read first."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.boundary import boundary_table
from ddlaws.report.summary import summary_markdown
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    boundary = boundary_table(pd.read_csv(snakemake.input.scaling), pd.read_csv(snakemake.input.required),
                              p.tolerance)
    write_csv(boundary, snakemake.output.table)
    write_text(snakemake.output.summary,
               summary_markdown(boundary, pd.read_csv(snakemake.input.coverage), p.confidence))
