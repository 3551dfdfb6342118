# Stage 5: the laws, fitted with statsmodels, and the benchmark metrics beside them.


rule ranking:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
    output:
        table=report(f"{RESULTS}/tables/ranking.csv", caption="../report/ranking.rst", category="Tables"),
    params:
        code=code_version("ranking.py"),
        gap=config["laws"]["gap"],
    log:
        f"{RESULTS}/logs/ranking.log",
    benchmark:
        f"{RESULTS}/benchmarks/ranking.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/ranking.py"


rule scaling_law:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
    output:
        table=report(f"{RESULTS}/laws/scaling.csv", caption="../report/scaling_table.rst", category="Laws"),
        markdown=f"{RESULTS}/laws/scaling.md",
    params:
        code=code_version("scaling_law.py"),
        gap=config["laws"]["gap"],
        estimator=config["laws"]["estimator"],
        confidence=config["laws"]["confidence"],
        resamples=config["laws"]["resamples"],
        bootstrap_seed=config["laws"]["bootstrap_seed"],
    log:
        f"{RESULTS}/logs/scaling_law.log",
    benchmark:
        f"{RESULTS}/benchmarks/scaling_law.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/scaling_law.py"


rule coverage_law:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
    output:
        table=report(f"{RESULTS}/laws/coverage.csv", caption="../report/coverage_table.rst", category="Laws"),
        markdown=f"{RESULTS}/laws/coverage.md",
        points=f"{RESULTS}/laws/coverage_points.csv",
        subsets=f"{RESULTS}/laws/coverage_subsets.csv",
        required=f"{RESULTS}/laws/required_size.csv",
    params:
        code=code_version("coverage_law.py"),
        gap=config["laws"]["gap"],
        subsets=config["laws"]["subsets"],
        subset_seed=config["laws"]["subset_seed"],
        statistic=config["laws"]["statistic"],
        x_form=config["laws"]["x_form"],
        target_gap=config["laws"]["target_gap"],
        confidence=config["laws"]["confidence"],
        resamples=config["laws"]["resamples"],
        bootstrap_seed=config["laws"]["bootstrap_seed"],
        entropy_radius=config["laws"]["entropy_radius"],
    log:
        f"{RESULTS}/logs/coverage_law.log",
    benchmark:
        f"{RESULTS}/benchmarks/coverage_law.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/coverage_law.py"


rule boundary:
    input:
        scaling=f"{RESULTS}/laws/scaling.csv",
        coverage=f"{RESULTS}/laws/coverage.csv",
        required=f"{RESULTS}/laws/required_size.csv",
        references=f"{RESULTS}/tables/references.csv",
        gaps=f"{RESULTS}/tables/gaps.csv",
        ranking=f"{RESULTS}/tables/ranking.csv",
        robustness=f"{RESULTS}/laws/robustness.csv",
        comparisons=f"{RESULTS}/laws/comparisons.csv",
        heterogeneity=f"{RESULTS}/laws/heterogeneity.csv",
        prediction=f"{RESULTS}/laws/prediction.csv",
        planner=f"{RESULTS}/laws/planner.csv",
    output:
        table=report(f"{RESULTS}/laws/boundary.csv", caption="../report/boundary.rst", category="Laws"),
        summary=f"{RESULTS}/SUMMARY.md",
        # the same findings in reStructuredText: the report's front page shows them (workflow/report/workflow.rst)
        findings=report(f"{RESULTS}/laws/findings.rst", caption="../report/summary.rst", category="Summary"),
    params:
        code=code_version("boundary.py"),
        tolerance=config["laws"]["tolerance"],
        confidence=config["laws"]["confidence"],
        convergence_tolerance=config["evaluation"]["convergence_tolerance"],
    log:
        f"{RESULTS}/logs/boundary.log",
    benchmark:
        f"{RESULTS}/benchmarks/boundary.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/boundary.py"


rule robustness:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
    output:
        table=report(f"{RESULTS}/laws/robustness.csv", caption="../report/robustness_table.rst", category="Laws"),
        markdown=f"{RESULTS}/laws/robustness.md",
    params:
        code=code_version("robustness.py"),
        variants=ddconfigs.pool_membership(config),
        gap=config["laws"]["gap"],
        subsets=config["laws"]["subsets"],
        subset_seed=config["laws"]["subset_seed"],
        statistic=config["laws"]["statistic"],
        x_form=config["laws"]["x_form"],
        confidence=config["laws"]["confidence"],
        resamples=config["laws"]["resamples"],
        bootstrap_seed=config["laws"]["bootstrap_seed"],
    log:
        f"{RESULTS}/logs/robustness.log",
    benchmark:
        f"{RESULTS}/benchmarks/robustness.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/robustness.py"


rule comparisons:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
    output:
        table=report(f"{RESULTS}/laws/comparisons.csv", caption="../report/comparisons_table.rst", category="Laws"),
        heterogeneity=report(f"{RESULTS}/laws/heterogeneity.csv", caption="../report/heterogeneity_table.rst",
                             category="Laws"),
    params:
        code=code_version("comparisons.py"),
        gap=config["laws"]["gap"],
        subsets=config["laws"]["subsets"],
        subset_seed=config["laws"]["subset_seed"],
        statistic=config["laws"]["statistic"],
        x_form=config["laws"]["x_form"],
        confidence=config["laws"]["confidence"],
        resamples=config["laws"]["resamples"],
        bootstrap_seed=config["laws"]["bootstrap_seed"],
    log:
        f"{RESULTS}/logs/comparisons.log",
    benchmark:
        f"{RESULTS}/benchmarks/comparisons.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/comparisons.py"


rule prediction:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
    output:
        table=report(f"{RESULTS}/laws/prediction.csv", caption="../report/prediction_table.rst", category="Laws"),
    params:
        code=code_version("prediction.py"),
        gap=config["laws"]["gap"],
        subsets=config["laws"]["subsets"],
        subset_seed=config["laws"]["subset_seed"],
        statistic=config["laws"]["statistic"],
        x_form=config["laws"]["x_form"],
        confidence=config["laws"]["confidence"],
        resamples=config["laws"]["resamples"],
        bootstrap_seed=config["laws"]["bootstrap_seed"],
    log:
        f"{RESULTS}/logs/prediction.log",
    benchmark:
        f"{RESULTS}/benchmarks/prediction.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/prediction.py"


rule planner:
    input:
        gaps=f"{RESULTS}/tables/gaps.csv",
        references=f"{RESULTS}/tables/references.csv",
    output:
        table=report(f"{RESULTS}/laws/planner.csv", caption="../report/planner_table.rst", category="Laws"),
    params:
        code=code_version("planner.py"),
        targets=config["plan"]["targets"],
        family=config["plan"]["family"],
        gap=config["laws"]["gap"],
        statistic=config["laws"]["statistic"],
        confidence=config["laws"]["confidence"],
        resamples=config["laws"]["resamples"],
        bootstrap_seed=config["laws"]["bootstrap_seed"],
    log:
        f"{RESULTS}/logs/planner.log",
    benchmark:
        f"{RESULTS}/benchmarks/planner.tsv"
    localrule: True
    conda:
        "../../envs/ddlaws.yaml"
    script:
        "../scripts/planner.py"
