"""Stage 1: obtain a dataset (embedded, local copy or download), verify it, write it."""

from ddlaws.atomic import save_tensors
from ddlaws.data.custom import dataset_of
from ddlaws.data.datasets import build_dataset
from ddlaws.plan.plugins import load_plugins
from ddlaws.runtime import job_log, log

with job_log(snakemake.log[0], snakemake.threads):
    load_plugins(snakemake.config["plugins"])  # a plug-in's dataset registers in this process too
    dataset = snakemake.wildcards.dataset
    data = snakemake.config["data"]
    options = {**snakemake.config["custom_datasets"].get(dataset, {}), **snakemake.params.options,
               "local": data["local"].get(dataset), "download": data["download"],
               "download_dir": data["download_dir"], "download_timeout": data["download_timeout"]}
    record = build_dataset(dataset_of(snakemake.config, dataset), options)
    log.info("%s from %s: %d train, %d test images of shape %s", dataset, record["source"],
             len(record["train_images"]), len(record["test_images"]), tuple(record["train_images"].shape[1:]))
    save_tensors(record, snakemake.output[0])
