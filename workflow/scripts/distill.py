"""Stage 3: distil one synthetic set and write it with its picture."""

import time

from ddlaws.data.datasets import load_split
from ddlaws.data.distilled import make_record, save_distilled
from ddlaws.methods import METHODS
from ddlaws.methods.common import Checkpointer, Diverged
from ddlaws.plan.plugins import load_plugins
from ddlaws.runtime import job_log, log, precision, stage_device

with job_log(snakemake.log[0], snakemake.threads):
    load_plugins(snakemake.config["plugins"])  # a fresh process: the registry holds only our methods
    wc = snakemake.wildcards
    device = stage_device(snakemake)
    split = load_split(snakemake.input.data, device)
    hyper = dict(snakemake.params.hyper)
    log.info("distilling %s %s ipc=%s seed=%s on %s with %s", wc.dataset, wc.method, wc.ipc, wc.seed, device, hyper)
    checkpointer = Checkpointer.for_run(snakemake.params.checkpoint, snakemake.config["checkpoint_every"],
                                        dataset=wc.dataset, method=wc.method, ipc=wc.ipc, seed=wc.seed, hyper=hyper,
                                        precision=snakemake.params.precision)
    started = time.time()
    method = METHODS[snakemake.params.method]
    inputs = {name: list(snakemake.input[name]) for name in method.inputs}
    try:
        with precision(snakemake.params.precision, device):
            result = method.distill(split, int(wc.ipc), int(wc.seed), hyper, checkpointer, **inputs)
    except Diverged as err:  # the method's loop knows the iteration; the job, which set it was
        raise Diverged(f"{wc.dataset} {wc.method} ipc={wc.ipc} seed={wc.seed}: {err}") from None
    record = make_record(result, wc.dataset, wc.method, int(wc.ipc), int(wc.seed), hyper, time.time() - started)
    save_distilled(record, split, snakemake.output.images, snakemake.output.grid)
    checkpointer.clear()
