"""Stage 4b: one distilled set trained under every configuration of the family."""

import pandas as pd

from ddlaws.atomic import load_tensors, write_csv
from ddlaws.data.datasets import load_split
from ddlaws.runtime import job_log, precision, stage_device
from ddlaws.train.evaluation import evaluate_distilled

with job_log(snakemake.log[0], snakemake.threads):
    ev = snakemake.config["evaluation"]
    device = stage_device(snakemake)
    split = load_split(snakemake.input.data, device)
    with precision(snakemake.params.precision, device):
        rows = evaluate_distilled(load_tensors(snakemake.input.distilled), split, dict(snakemake.params.family),
                                  list(snakemake.params.eval_seeds), snakemake.params.learned_lr,
                                  ev["vectorize"], ev["test_batch"], snakemake.params.soft_label,
                                  snakemake.params.convergence_tolerance, snakemake.params.extensions)
    write_csv(pd.DataFrame(rows), snakemake.output[0])
