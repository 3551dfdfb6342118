"""Stage 2: train one expert and save its per-epoch trajectory."""

from ddlaws.atomic import save_tensors
from ddlaws.data.datasets import load_split
from ddlaws.runtime import job_log, log, precision, stage_device
from ddlaws.train.experts import train_expert

with job_log(snakemake.log[0], snakemake.threads):
    device = stage_device(snakemake)
    split = load_split(snakemake.input.data, device)
    with precision(snakemake.params.precision, device):
        record = train_expert(split, dict(snakemake.params.training), int(snakemake.wildcards.index),
                              snakemake.config["evaluation"]["test_batch"])
    log.info("expert %s: %d parameters, test accuracy by epoch %s", snakemake.wildcards.index,
             record["num_params"], [round(a, 4) for a in record["test_acc"].tolist()])
    save_tensors(record, snakemake.output[0])
