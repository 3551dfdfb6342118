"""Stage 5c: the utility boundary per (dataset, method), and SUMMARY.md, the page to read first."""

import pandas as pd

from ddlaws.atomic import read_table, write_csv, write_text
from ddlaws.report.summary import findings_rst
from ddlaws.report.summary_page import boundary_and_summary
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    i = snakemake.input
    boundary, summary = boundary_and_summary(
        pd.read_csv(i.scaling), pd.read_csv(i.coverage), pd.read_csv(i.required), pd.read_csv(i.references),
        pd.read_csv(i.ranking), read_table(i.robustness), read_table(i.comparisons), read_table(i.heterogeneity),
        pd.read_csv(i.gaps), p.tolerance, p.confidence, p.convergence_tolerance,
        read_table(i.prediction), read_table(i.planner))
    write_csv(boundary, snakemake.output.table)
    write_text(snakemake.output.summary, summary)
    write_text(snakemake.output.findings, findings_rst(summary))
