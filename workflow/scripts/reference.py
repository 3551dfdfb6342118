"""Stage 4a: one configuration trained on the full training set, once per eval seed."""

import pandas as pd

from ddlaws.atomic import write_csv
from ddlaws.data.datasets import load_split
from ddlaws.runtime import job_log, precision, stage_device
from ddlaws.train.evaluation import evaluate_reference

with job_log(snakemake.log[0], snakemake.threads):
    device = stage_device(snakemake)
    split = load_split(snakemake.input.data, device)
    ev = snakemake.config["evaluation"]
    with precision(snakemake.params.precision, device):
        rows = evaluate_reference(snakemake.wildcards.dataset, split, snakemake.params.training,
                                  list(snakemake.params.eval_seeds), ev["vectorize"], ev["test_batch"])
    write_csv(pd.DataFrame(rows), snakemake.output[0])
