# Stage 1: one uint8 tensor file per dataset.
# Only content-defining options are params (dataset_params in common.smk).


rule download:
    output:
        f"{RESULTS}/data/{{dataset}}.pt",
    params:
        code=code_version("download.py"),
        options=dataset_params,
    log:
        f"{RESULTS}/logs/download/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/download/{{dataset}}.tsv"
    threads: 1
    # on the submitting host: cluster compute nodes are often offline
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/download.py"
