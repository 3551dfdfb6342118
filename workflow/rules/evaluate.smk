# Stage 4: every distilled set under every configuration of the family, and the
# same configurations trained on the full training set (cached per config). An
# evaluate job trains only the configurations its set's model store lacks
# (results/eval_models, README "Re-runs"), so a changed family re-runs every
# evaluate job but trains only the models the change touches.


rule reference:
    input:
        data=f"{RESULTS}/data/{{dataset}}.pt",
    output:
        f"{RESULTS}/reference/{{dataset}}/{{config}}.csv",
    params:
        code=code_version("reference.py"),
        training=lambda wc: ddconfigs.reference_training(config, wc.config),
        precision=config["precision"],  # fp32, tf32 or bf16: each gives other numbers
        eval_seeds=config["evaluation"]["eval_seeds"],
    log:
        f"{RESULTS}/logs/reference/{{dataset}}/{{config}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/reference/{{dataset}}/{{config}}.tsv"
    threads: threads_per_job()
    resources:
        **compute_resources("reference", lambda wc: ddconfigs.reference_training(config, wc.config)),
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/reference.py"


rule evaluate:
    input:
        data=f"{RESULTS}/data/{{dataset}}.pt",
        distilled=f"{RESULTS}/distilled/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.pt",
    output:
        f"{RESULTS}/eval/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.csv",
    params:
        code=code_version("evaluate.py"),
        family=FAMILY,
        precision=config["precision"],  # fp32, tf32 or bf16: each gives other numbers
        eval_seeds=config["evaluation"]["eval_seeds"],
        learned_lr=config["evaluation"]["learned_lr"],
        # None for hard labels, so the soft-label loss re-runs only the soft sets
        soft_label=lambda wc: ddconfigs.soft_label_loss(config, wc.method, wc.dataset, int(wc.ipc)),
        # the check is made where a model trains: one that fails it trains again for twice the epochs
        convergence_tolerance=config["evaluation"]["convergence_tolerance"],
        extensions=config["evaluation"]["extensions"],
        # The job trains only the configurations without a current entry here (ddlaws.plan.model_store):
        # an entry is keyed by its configuration's spec and every other param above, and records the
        # digests of the set and test split it was trained on. `--forcerun evaluate` reuses the entries;
        # delete results/eval_models to train every model again.
        store=lambda wc: model_store_folder(wc.dataset, wc.method, wc.ipc, wc.seed),
    log:
        f"{RESULTS}/logs/evaluate/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.tsv"
    threads: threads_per_job()
    resources:
        **compute_resources("evaluate", FAMILY),
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/evaluate.py"


# the count of stored models, once per run (not in every job)
if workflow.is_main_process:
    logger.info(stored_models_message())


rule tables:
    input:
        evaluations=per_distilled_set(f"{RESULTS}/eval/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.csv"),
        references=expand(f"{RESULTS}/reference/{{dataset}}/{{config}}.csv", dataset=DATASETS, config=FAMILY),
    output:
        evaluations=report(
            f"{RESULTS}/tables/evaluations.csv", caption="../report/evaluations.rst", category="Tables"
        ),
        references=f"{RESULTS}/tables/references.csv",
        gaps=report(f"{RESULTS}/tables/gaps.csv", caption="../report/gaps.rst", category="Tables"),
    params:
        code=code_version("tables.py"),
        convergence_tolerance=config["evaluation"]["convergence_tolerance"],
        # each dataset's number of classes, a registered one's or the config's: what chance accuracy is
        classes={dataset: ddcustom.dataset_of(config, dataset).classes for dataset in DATASETS},
    log:
        f"{RESULTS}/logs/tables.log",
    benchmark:
        f"{RESULTS}/benchmarks/tables.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/tables.py"
