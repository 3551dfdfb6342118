# Stage 6: figures of the laws, drawn with seaborn.


rule scaling_figure:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
        fits=f"{RESULTS}/laws/scaling.csv",
    output:
        png=report(f"{RESULTS}/figures/scaling_law.png", caption="../report/scaling_figure.rst", category="Figures"),
        pdf=f"{RESULTS}/figures/scaling_law.pdf",
    params:
        code=code_version("scaling_figure.py"),
        gap=config["laws"]["gap"],
    log:
        f"{RESULTS}/logs/scaling_figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/scaling_figure.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/scaling_figure.py"


rule coverage_figure:
    input:
        subsets=f"{RESULTS}/laws/coverage_subsets.csv",
        points=f"{RESULTS}/laws/coverage_points.csv",
        fits=f"{RESULTS}/laws/coverage.csv",
    output:
        png=report(f"{RESULTS}/figures/coverage_law.png", caption="../report/coverage_figure.rst", category="Figures"),
        pdf=f"{RESULTS}/figures/coverage_law.pdf",
    params:
        code=code_version("coverage_figure.py"),
    log:
        f"{RESULTS}/logs/coverage_figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/coverage_figure.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/coverage_figure.py"


rule robustness_figure:
    input:
        table=f"{RESULTS}/laws/robustness.csv",
    output:
        png=report(f"{RESULTS}/figures/robustness.png", caption="../report/robustness_figure.rst", category="Figures"),
        pdf=f"{RESULTS}/figures/robustness.pdf",
    params:
        code=code_version("robustness_figure.py"),
    log:
        f"{RESULTS}/logs/robustness_figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/robustness_figure.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/robustness_figure.py"


rule comparisons_figure:
    input:
        table=f"{RESULTS}/laws/comparisons.csv",
    output:
        png=report(f"{RESULTS}/figures/comparisons.png", caption="../report/comparisons_figure.rst", category="Figures"),
        pdf=f"{RESULTS}/figures/comparisons.pdf",
    params:
        code=code_version("comparisons_figure.py"),
    log:
        f"{RESULTS}/logs/comparisons_figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/comparisons_figure.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/comparisons_figure.py"


rule prediction_figure:
    input:
        table=f"{RESULTS}/laws/prediction.csv",
    output:
        png=report(f"{RESULTS}/figures/prediction.png", caption="../report/prediction_figure.rst", category="Figures"),
        pdf=f"{RESULTS}/figures/prediction.pdf",
    params:
        code=code_version("prediction_figure.py"),
    log:
        f"{RESULTS}/logs/prediction_figure.log",
    benchmark:
        f"{RESULTS}/benchmarks/prediction_figure.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/prediction_figure.py"
