# Config validation and the helpers every stage uses. The logic lives in the
# ddlaws package (pure Python here, no torch), installed by `pip install -e .`.

import json
import os
import re

from snakemake.exceptions import WorkflowError

try:
    from ddlaws import configs as ddconfigs
except ImportError as err:
    raise WorkflowError(
        f"the ddlaws package is not importable ({err}); install the workflow with `pip install -e .`"
    )

try:
    ddconfigs.validate(config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml"))
except ddconfigs.ConfigError as err:
    raise WorkflowError(str(err))

DATASETS = config["datasets"]
METHODS = config["methods"]
IPCS = config["ipcs"]
SEEDS = config["seeds"]
FAMILY = ddconfigs.evaluation_family(config)
RESULTS = "results"


wildcard_constraints:
    dataset="|".join(DATASETS),
    method="|".join(METHODS),
    ipc=r"[1-9][0-9]*",
    seed=r"[0-9]+",
    config="|".join(re.escape(name) for name in FAMILY),


def threads_per_job():
    return config["resources"]["threads"]


def gpu_request():
    """1 where jobs will run on a GPU; 0 on CPU-only hosts, so that a local
    `gpu` cap does not serialise CPU jobs."""
    device = config["device"]
    if device == "cuda":
        return 1
    if device == "cpu":
        return 0
    return int(any(os.path.exists(p) for p in ("/dev/nvidia0", "/proc/driver/nvidia/gpus")))


def per_distilled_set(pattern):
    """``pattern`` filled for every (dataset, method, ipc, seed) of the config."""
    return expand(pattern, dataset=DATASETS, method=METHODS, ipc=IPCS, seed=SEEDS)


def final_outputs():
    return [
        f"{RESULTS}/tables/evaluations.csv",
        f"{RESULTS}/tables/gaps.csv",
        f"{RESULTS}/laws/scaling.csv",
        f"{RESULTS}/laws/scaling.md",
        f"{RESULTS}/figures/scaling_law.png",
        f"{RESULTS}/figures/scaling_law.pdf",
        f"{RESULTS}/laws/coverage.csv",
        f"{RESULTS}/laws/coverage.md",
        f"{RESULTS}/laws/required_size.csv",
        f"{RESULTS}/laws/boundary.csv",
        f"{RESULTS}/SUMMARY.md",
        f"{RESULTS}/figures/coverage_law.png",
        f"{RESULTS}/figures/coverage_law.pdf",
    ]
