"""Stage 5g: out-of-sample checks of the laws: each fitted without some of its points, predicting them."""

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.laws.prediction import prediction_table
from ddlaws.runtime import job_log

with job_log(snakemake.log[0]):
    p = snakemake.params
    write_csv(prediction_table(pd.read_csv(snakemake.input.gaps), p.gap, p.subsets, p.subset_seed, p.statistic,
                               p.x_form, p.confidence, p.resamples, p.bootstrap_seed), snakemake.output.table)
