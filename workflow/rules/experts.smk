# Stage 2: expert trajectories for trajectory matching, one job and one file per
# expert, computed once per (dataset, expert configuration, index) and shared by
# every IPC and seed.

rule expert:
    input:
        data=f"{RESULTS}/data/{{dataset}}.pt",
    output:
        f"{RESULTS}/experts/{{dataset}}/{{expert}}/expert{{index}}.pt",
    params:
        code=code_version("expert.py"),
        training=lambda wc: EXPERT_TRAININGS[wc.expert],
        precision=config["precision"],  # fp32, tf32 or bf16: each gives other numbers
    wildcard_constraints:
        expert=one_of(EXPERT_TRAININGS),
        index=r"[0-9]+",
    log:
        f"{RESULTS}/logs/expert/{{dataset}}/{{expert}}/expert{{index}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/expert/{{dataset}}/{{expert}}/expert{{index}}.tsv"
    threads: threads_per_job()
    resources:
        **compute_resources("expert", lambda wc: EXPERT_TRAININGS[wc.expert]),
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/expert.py"
