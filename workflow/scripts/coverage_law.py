"""Stage 5b: the coverage law, Y over subsets of m configurations against 1/√k and √H/√k, and the size it requires."""

import pandas as pd

from ddlaws.atomic import write_csv, write_text
from ddlaws.laws.required_size import coverage_tables
from ddlaws.report.law_pages import coverage_page
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    table, points, cloud, required = coverage_tables(pd.read_csv(snakemake.input.gaps), p.gap, p.subsets,
                                                     p.subset_seed, p.statistic, p.x_form, p.target_gap,
                                                     p.confidence, p.resamples, p.bootstrap_seed, p.entropy_radius)
    write_csv(table, snakemake.output.table)
    write_csv(points, snakemake.output.points)
    write_csv(cloud, snakemake.output.subsets)
    write_csv(required, snakemake.output.required)
    write_text(snakemake.output.markdown, coverage_page(table, required, p.gap, p.statistic, p.subsets, p.x_form,
                                                        p.target_gap, p.confidence))
