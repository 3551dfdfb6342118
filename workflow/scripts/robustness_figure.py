"""Stage 6c: the robustness figure: worst Δ against k, plain against pool (PNG and PDF)."""

import pandas as pd

from ddlaws.atomic import save_figure
from ddlaws.report.plots import robustness_figure
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    save_figure(robustness_figure(pd.read_csv(snakemake.input.table)), snakemake.output.png, snakemake.output.pdf)
