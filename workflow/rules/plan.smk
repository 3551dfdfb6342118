# `snakemake plan` (make plan): what the whole run costs, printed before any
# job runs (and kept in its log). Its jobs are those the rules' inputs name,
# found by the same helpers; each one's work by the same model as its
# resources (planned_compute_jobs in common.smk).


rule plan:
    params:
        jobs=lambda wc: planned_compute_jobs(),  # when `plan` is asked for, not at every parse
    log:
        f"{RESULTS}/logs/plan.log",
    benchmark:
        f"{RESULTS}/benchmarks/plan.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/plan.py"
