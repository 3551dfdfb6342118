"""Stage 6b: the coverage-law figure (PNG and PDF)."""

import pandas as pd

from ddlaws.atomic import save_figure
from ddlaws.report.plots import coverage_figure
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    fig = coverage_figure(pd.read_csv(snakemake.input.subsets), pd.read_csv(snakemake.input.points),
                          pd.read_csv(snakemake.input.fits))
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
