# Stage 5: the laws, fitted with statsmodels.


rule scaling_law:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
    output:
        table=report(f"{RESULTS}/laws/scaling.csv", caption="../report/scaling_table.rst", category="Laws"),
        markdown=f"{RESULTS}/laws/scaling.md",
    params:
        gap=config["laws"]["gap"],
        estimator=config["laws"]["estimator"],
        confidence=config["laws"]["confidence"],
    log:
        f"{RESULTS}/logs/scaling_law.log",
    benchmark:
        f"{RESULTS}/benchmarks/scaling_law.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/scaling_law.py"
