"""Stage 5c: the utility boundary per (dataset, method), and SUMMARY.md, the page to read first."""

import pandas as pd

from ddlaws.atomic import read_table, write_csv, write_text
from ddlaws.laws.boundary import boundary_table
from ddlaws.laws.gaps import reference_convergence
from ddlaws.laws.ranking import mean_ior
from ddlaws.report.summary import findings_rst, summary_markdown
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    coverage = pd.read_csv(snakemake.input.coverage)
    references = reference_convergence(pd.read_csv(snakemake.input.references), p.convergence_tolerance)
    per_class = references.groupby("dataset")["train_per_class"].first().to_dict()
    boundary = boundary_table(pd.read_csv(snakemake.input.scaling), pd.read_csv(snakemake.input.required),
                              p.tolerance, coverage, per_class)
    write_csv(boundary, snakemake.output.table)
    summary = summary_markdown(boundary, coverage, p.confidence, references,
                               mean_ior(pd.read_csv(snakemake.input.ranking)), read_table(snakemake.input.robustness),
                               comparisons=read_table(snakemake.input.comparisons),
                               heterogeneity=read_table(snakemake.input.heterogeneity),
                               gaps=pd.read_csv(snakemake.input.gaps), convergence_tolerance=p.convergence_tolerance,
                               prediction=read_table(snakemake.input.prediction),
                               planner=read_table(snakemake.input.planner))
    write_text(snakemake.output.summary, summary)
    write_text(snakemake.output.findings, findings_rst(summary))
