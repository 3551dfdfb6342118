# Stage 1: one tensor file per dataset, checked against its registry entry.
# Only content-defining options are params (dataset_params in common.smk); the code
# param counts the dataset's own module, not the other datasets'.


rule download:
    output:
        f"{RESULTS}/data/{{dataset}}.pt",
    params:
        code=dataset_code_version,
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
