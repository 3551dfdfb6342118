"""Stage 6e: the prediction figure: each law's held-out predictions against the measurements (PNG and PDF)."""

from ddlaws.atomic import read_table, save_figure
from ddlaws.report.plots import prediction_figure
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    save_figure(prediction_figure(read_table(snakemake.input.table)), snakemake.output.png, snakemake.output.pdf)
