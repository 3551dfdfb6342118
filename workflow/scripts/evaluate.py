"""Stage 4b: one distilled set trained under every configuration of the family, but for the
configurations its model store already holds (ddlaws.plan.model_store)."""

import pandas as pd

from ddlaws.atomic import load_tensors, write_csv
from ddlaws.data.datasets import load_split
from ddlaws.plan.model_store import settings_of
from ddlaws.runtime import job_log, precision, stage_device
from ddlaws.train.stored_evaluation import evaluate_with_store

with job_log(snakemake.log[0], snakemake.threads):
    ev = snakemake.config["evaluation"]
    params = snakemake.params
    device = stage_device(snakemake)
    split = load_split(snakemake.input.data, device)
    with precision(params.precision, device):
        rows = evaluate_with_store(load_tensors(snakemake.input.distilled), split, dict(params.family),
                                   list(params.eval_seeds), params.store, settings_of(dict(params.items())),
                                   use_learned_lr=params.learned_lr, vectorize=ev["vectorize"],
                                   test_batch=ev["test_batch"], soft_label=params.soft_label,
                                   tolerance=params.convergence_tolerance, extensions=params.extensions)
    write_csv(pd.DataFrame(rows), snakemake.output[0])
