"""Stage 6d: the comparisons figure: every pair's differences with their intervals, a forest plot (PNG and PDF)."""

from ddlaws.atomic import read_table, save_figure
from ddlaws.report.plots import comparisons_figure
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    save_figure(comparisons_figure(read_table(snakemake.input.table)), snakemake.output.png, snakemake.output.pdf)
