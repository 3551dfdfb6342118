# Stage 3: one distilled set per (dataset, method, ipc, seed); the method's
# parameters and extra inputs come from its registry entry (common.smk). Sets
# made elsewhere (`external`) are checked and imported into the same files.


rule distill:
    wildcard_constraints:
        method=one_of(config["methods"]),
    input:
        unpack(distill_inputs),
    output:
        images=f"{RESULTS}/distilled/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.pt",
        grid=report(
            f"{RESULTS}/distilled/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.png",
            caption="../report/distilled.rst",
            category="Distilled sets",
            subcategory="{dataset} {method}",
            labels={"dataset": "{dataset}", "method": "{method}", "ipc": "{ipc}", "seed": "{seed}"},
        ),
    params:
        code=method_code_version,
        method=lambda wc: ddconfigs.base_method(config, wc.method),  # the registered method it runs
        hyper=method_params,
        precision=config["precision"],  # fp32, tf32 or bf16: each gives other numbers
        # kept across failures and preemption; the job resumes from it and removes it when done
        checkpoint=f"{RESULTS}/checkpoints/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.pt",
    log:
        f"{RESULTS}/logs/distill/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/distill/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.tsv"
    threads: threads_per_job()
    resources:
        **compute_resources("distill", method_params),
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/distill.py"


rule external_set:
    wildcard_constraints:
        method=one_of(EXTERNAL),
        seed="0",
    input:
        data=f"{RESULTS}/data/{{dataset}}.pt",
    output:
        images=f"{RESULTS}/distilled/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.pt",
        grid=report(
            f"{RESULTS}/distilled/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.png",
            caption="../report/distilled.rst",
            category="Distilled sets",
            subcategory="{dataset} {method}",
            labels={"dataset": "{dataset}", "method": "{method}", "ipc": "{ipc}", "seed": "{seed}"},
        ),
    params:
        code=code_version("external_set.py"),
        # what defines the set: its declarations and its source's content (replacing a file re-runs its
        # evaluations and the laws); where it lies, and its other IPCs, do not (the script reads `path`)
        declared=lambda wc: {key: EXTERNAL[wc.method].get(key) for key in ("dataset", "scale", "labels")},
        digest=external_digest,
    log:
        f"{RESULTS}/logs/external_set/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/external_set/{{dataset}}/{{method}}/ipc{{ipc}}/seed{{seed}}.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/external_set.py"
