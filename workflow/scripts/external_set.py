"""Stage 3 for a set made elsewhere: check one IPC of an external set and write it as our own distilled set."""

from ddlaws.data.datasets import load_split
from ddlaws.data.distilled import save_distilled
from ddlaws.data.external import import_external
from ddlaws.runtime import job_log, log

with job_log(snakemake.log[0]):
    wc = snakemake.wildcards
    split = load_split(snakemake.input.data)
    block = {**snakemake.params.declared, "path": snakemake.config["external"][wc.method]["path"]}
    log.info("importing external set %s ipc=%s from %s (content digest %s)", wc.method, wc.ipc, block["path"],
             snakemake.params.digest)
    record = import_external(wc.method, block, int(wc.ipc), split, snakemake.params.digest)
    log.info("%d images from %s, %s labels, scale %s", len(record["images"]), record["params"]["source"],
             block["labels"], record["params"]["scale"])
    save_distilled(record, split, snakemake.output.images, snakemake.output.grid)
