"""Stage 6a: the scaling-law figure (PNG and PDF)."""

import pandas as pd

from ddlaws.atomic import save_figure
from ddlaws.report.plots import scaling_figure
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    fig = scaling_figure(pd.read_csv(snakemake.input.gaps), pd.read_csv(snakemake.input.fits), snakemake.params.gap)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
