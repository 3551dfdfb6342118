# Stage 1: one uint8 tensor file per dataset.
# Only content-defining options are params (the digits split, the ImageNette
# size, ZCA whitening); where a copy comes from (data.local, download settings) does not
# change the verified content, so the script reads those from the config.


def dataset_params(wildcards):
    data = config["data"]
    zca = wildcards.dataset in data["zca"]
    return {**data.get(wildcards.dataset, {}), "zca": zca, "zca_regularization": data["zca_regularization"] if zca else None}


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
