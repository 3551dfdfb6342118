# `snakemake plan` (make plan): what the whole run costs, printed before any
# job runs. Its jobs are those the rules' inputs name, found by the same
# helpers; each one's work by the same model as its resources (common.smk).

from ddlaws.plan import cost


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
        jobs.append(cost.PlannedJob(rule, name, group or rule,
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


rule plan:
    localrule: True
    run:
        print(cost.format_plan(planned_compute_jobs(), config))
