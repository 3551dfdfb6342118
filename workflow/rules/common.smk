# Config validation and the helpers every stage uses. The logic lives in the
# ddlaws package: its planning part and the method and dataset registries, which
# import no torch (tests/test_parse_imports.py), so parsing stays fast on a login node.

import os
import re

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

try:
    from ddlaws.data import custom as ddcustom
    from ddlaws.methods import METHODS as METHOD_REGISTRY
    from ddlaws.plan import configs as ddconfigs
    from ddlaws.plan import cost as ddcost
    from ddlaws.plan import external as ddexternal
    from ddlaws.plan import job_resources
    from ddlaws.plan import model_store as ddstore
    from ddlaws.plan.plugins import load_plugins
    from ddlaws.plan.provenance import stage_code_digest
except ImportError as err:
    raise WorkflowError(
        f"the ddlaws package is not importable ({err}); install the workflow with `pip install -e .`"
    )

# Plug-in methods and datasets register first: the schema they validate against includes their blocks.
try:
    load_plugins(config.get("plugins", []))
    ddconfigs.validate(config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml"))
except ddconfigs.ConfigError as err:
    raise WorkflowError(str(err))

DATASETS = config["datasets"]
METHODS = ddconfigs.all_methods(config)  # the distilled methods, then the external sets
EXTERNAL = config["external"]
IPCS = config["ipcs"]
SEEDS = config["seeds"]
FAMILY = ddconfigs.evaluation_family(config)
RESULTS = "results"


def one_of(names):
    """A wildcard pattern matching exactly ``names`` (none: a pattern that matches nothing)."""
    return "|".join(re.escape(name) for name in names) or "(?!)"


wildcard_constraints:
    dataset=one_of(DATASETS),
    method=one_of(METHODS),
    ipc=r"[1-9][0-9]*",
    seed=r"[0-9]+",
    config=one_of(FAMILY),


def threads_per_job():
    return config["resources"]["threads"]


def gpu_request():
    """GPUs per compute job, from the config alone (ddlaws.plan.job_resources), so
    that a login node without a GPU plans the same requests as a GPU node."""
    return job_resources.gpu_request(config)


def _work(rule, params, wildcards):
    """(kind of work, its parameters, ipc) of a job; distill jobs count their method's work."""
    kind = ddconfigs.base_method(config, wildcards.method) if rule == "distill" else rule
    return kind, (params(wildcards) if callable(params) else params), int(wildcards.get("ipc", 1))


def runtime(rule, params=None):
    """A resource callable: minutes for the job's work (ddlaws.plan.job_resources), times the attempt."""

    def minutes(wildcards, attempt):
        kind, work, ipc = _work(rule, params, wildcards)
        return job_resources.runtime_minutes(
            job_resources.job_work(kind, config, wildcards.dataset, work, ipc), config) * attempt

    return minutes


def memory(rule, params=None):
    """A resource callable: MB for the job's data and batch, times the attempt."""

    def mb(wildcards, attempt):
        kind, work, ipc = _work(rule, params, wildcards)
        return job_resources.mem_mb(kind, config, wildcards.dataset, work, ipc) * attempt

    return mb


def compute_resources(rule, params=None):
    """What every compute job (expert, reference, distill, evaluate) asks for, from one
    place: its GPUs (and their type) from the config, CPUs, runtime and memory from its work."""
    resources = {"gpu": gpu_request(), "cpus_per_gpu": threads_per_job(),
                 "runtime": runtime(rule, params), "mem_mb": memory(rule, params)}
    if resources["gpu"] and config["resources"]["gpu_model"]:
        resources["gpu_model"] = config["resources"]["gpu_model"]
    return resources


def dataset_params(wildcards):
    """What defines a dataset file's content: its block under ``data`` (the digits split, the
    ImageNette size), ZCA whitening, and for a dataset of the config its declaration and the
    content digest of its files. Where a copy lies (data.local, download settings, a dataset of
    the config's path) does not change the verified content, so the script reads those from the config."""
    data = config["data"]
    zca = wildcards.dataset in data["zca"]
    custom = config["custom_datasets"].get(wildcards.dataset)
    own = {**{k: v for k, v in custom.items() if k != "path"},
           "digest": ddcustom.content_digest(config, wildcards.dataset)} if custom else {}
    return {**data.get(wildcards.dataset, {}), **own, "zca": zca,
            "zca_regularization": data["zca_regularization"] if zca else None}


def dataset_code_version(wildcards):
    """The download stage's code and the job's own dataset module (found through the registry, as
    a distill job's method): ours by its module name, a plug-in's by its file; a dataset of the
    config by its kind's module."""
    dataset = ddcustom.dataset_of(config, wildcards.dataset)
    if dataset.plugin_file is not None:
        return code_version("download.py", outside=[dataset.plugin_file])
    return code_version("download.py", [dataset.module])


# Every expert configuration the methods read, by name (a pool variant of MTT reads several).
EXPERT_TRAININGS = ddconfigs.expert_trainings(config)


def expert_files(wildcards):
    """The experts of a distill job: ``experts.count`` per training configuration it reads."""
    experts = method_params(wildcards)["experts"]
    return [f"{RESULTS}/experts/{wildcards.dataset}/{training['name']}/expert{index}.pt"
            for training in experts["trainings"] for index in range(experts["count"])]


def method_params(wildcards):
    return ddconfigs.method_params(config, wildcards.method, wildcards.dataset, int(wildcards.ipc))


# The products of other stages a method may declare as inputs (ddlaws.methods.registry.INPUTS).
METHOD_INPUTS = {"experts": expert_files}


def distill_inputs(wildcards):
    """The dataset, and what the method declares besides (MTT: the experts)."""
    inputs = {"data": f"{RESULTS}/data/{wildcards.dataset}.pt"}
    for name in METHOD_REGISTRY[ddconfigs.base_method(config, wildcards.method)].inputs:
        inputs[name] = METHOD_INPUTS[name](wildcards)
    return inputs


def per_distilled_set(pattern):
    """``pattern`` filled for every set the run evaluates: each (dataset, method, ipc, seed) of the
    config, and each external set's IPCs (seed 0) on its own dataset."""
    made = expand(pattern, dataset=DATASETS, method=config["methods"], ipc=IPCS, seed=SEEDS)
    return made + [pattern.format(dataset=block["dataset"], method=name, ipc=ipc, seed=0)
                   for name, block in EXTERNAL.items() for ipc in block["ipcs"]]


def external_digest(wildcards):
    """The content digest of an external set's source for one IPC (ddlaws.plan.external)."""
    return ddexternal.content_digest(EXTERNAL[wildcards.method]["path"], int(wildcards.ipc))


def final_outputs():
    return [
        f"{RESULTS}/tables/evaluations.csv",
        f"{RESULTS}/tables/gaps.csv",
        f"{RESULTS}/tables/ranking.csv",
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
        f"{RESULTS}/laws/robustness.csv",
        f"{RESULTS}/laws/comparisons.csv",
        f"{RESULTS}/laws/heterogeneity.csv",
        f"{RESULTS}/figures/comparisons.png",
        f"{RESULTS}/figures/comparisons.pdf",
        f"{RESULTS}/laws/prediction.csv",
        f"{RESULTS}/laws/planner.csv",
        f"{RESULTS}/figures/prediction.png",
        f"{RESULTS}/figures/prediction.pdf",
    ] + ([f"{RESULTS}/figures/robustness.png", f"{RESULTS}/figures/robustness.pdf"]
         if ddconfigs.pool_membership(config) else [])


def code_version(script, modules=(), outside=()):
    """Digest of a stage script and the ddlaws modules it imports (see ddlaws.plan.provenance),
    plus ``modules`` and the files ``outside`` the package: a rule with it as a param re-runs
    when that code changes."""
    return stage_code_digest(os.path.join(workflow.basedir, "workflow/scripts"), script, tuple(modules),
                             tuple(outside))


def method_code_version(wildcards):
    """The distill stage's code and the job's own method module (found through the
    registry, not an import, so no other method counts): ours by its module name,
    a plug-in's by its file."""
    method = METHOD_REGISTRY[ddconfigs.base_method(config, wildcards.method)]
    if method.plugin_file is not None:
        return code_version("distill.py", outside=[method.plugin_file])
    return code_version("distill.py", [method.module])


class JobWildcards(dict):
    """A job's wildcards as the rules' functions read them: ``wc.ipc`` and ``wc.get("ipc")``."""

    __getattr__ = dict.__getitem__


def planned_compute_jobs():
    """Every compute job of a run from scratch, each with its work."""
    jobs = []

    def add(rule, params, group=None, **wildcards):
        wc = JobWildcards({key: str(value) for key, value in wildcards.items()})
        kind, work, ipc = _work(rule, params, wc)
        name = " ".join(f"{key}={value}" for key, value in wildcards.items())
        jobs.append(ddcost.PlannedJob(rule, name, group or rule,
                                    job_resources.job_work(kind, config, wc.dataset, work, ipc)))
        return wc

    experts = {}
    for dataset in DATASETS:
        for name in config["methods"]:
            for ipc in IPCS:
                for seed in SEEDS:
                    wc = add("distill", method_params, f"distill {name}", dataset=dataset, method=name, ipc=ipc,
                             seed=seed)
                    experts.update(dict.fromkeys(distill_inputs(wc).get("experts", [])))
    for path in experts:  # results/experts/{dataset}/{expert}/expert{index}.pt
        dataset, expert, index = path.split("/")[-3:]
        add("expert", lambda wc: EXPERT_TRAININGS[wc.expert], dataset=dataset, expert=expert,
            index=index[len("expert"):-len(".pt")])
    for dataset in DATASETS:
        for name in FAMILY:
            add("reference", lambda wc: ddconfigs.reference_training(config, wc.config), dataset=dataset,
                config=name)
    for path in per_distilled_set("{dataset}/{method}/{ipc}/{seed}"):
        dataset, method, ipc, seed = path.split("/")
        add("evaluate", FAMILY, dataset=dataset, method=method, ipc=ipc, seed=seed)
    return jobs


def model_store_folder(dataset, method, ipc, seed):
    """Where the evaluate job of a set keeps its model store (ddlaws.plan.model_store)."""
    return f"{RESULTS}/eval_models/{dataset}/{method}/ipc{ipc}/seed{seed}"


def stored_models_message():
    """The line a run opens with: how many of its models have an entry of the current key (stat calls only).
    Each set's settings are the params its evaluate job gets (the rule's own, for its wildcards), so the keys
    are the job's. The evaluate jobs that run train the others, and the models of a set distilled again."""
    params = rules.evaluate.params
    jobs = []
    for path in per_distilled_set("{dataset}/{method}/{ipc}/{seed}"):
        wc = JobWildcards(zip(("dataset", "method", "ipc", "seed"), path.split("/")))
        values = {name: value(wc) if callable(value) else value for name, value in params.items()}
        jobs.append((values["store"], ddstore.settings_of(values)))
    stored, total = ddstore.stored_models(jobs, FAMILY, len(config["evaluation"]["eval_seeds"]))
    return (f"evaluation: {stored} of {total} models stored; up to {total - stored} to train, "
            "plus the stored models of any set distilled again")
