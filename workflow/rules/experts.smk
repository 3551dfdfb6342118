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
    wildcard_constraints:
        expert=one_of(EXPERT_TRAININGS),
        index=r"[0-9]+",
    log:
        f"{RESULTS}/logs/expert/{{dataset}}/{{expert}}/expert{{index}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/expert/{{dataset}}/{{expert}}/expert{{index}}.tsv"
    threads: threads_per_job()
    resources:
        gpu=gpu_request(),
        cpus_per_gpu=threads_per_job(),
        runtime=runtime("expert", lambda wc: EXPERT_TRAININGS[wc.expert]),
        mem_mb=memory("expert"),
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/expert.py"
