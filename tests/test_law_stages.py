"""The law stage scripts run end to end on a gaps table, given what Snakemake would hand them."""

import runpy
from types import SimpleNamespace

import pandas as pd
import pytest

from conftest import ROOT
from synthetic_gaps import gaps_table, reference_rows

SCRIPTS = ROOT / "workflow" / "scripts"


def run_stage(script: str, tmp_path, inputs: dict, outputs: dict, params: dict | None = None) -> None:
    job = SimpleNamespace(input=SimpleNamespace(**inputs), output=SimpleNamespace(**outputs),
                          params=SimpleNamespace(**(params or {})), log=[str(tmp_path / f"{script}.log")])
    runpy.run_path(str(SCRIPTS / f"{script}.py"), init_globals={"snakemake": job}, run_name="__main__")


def test_coverage_boundary_and_figure_stages(tmp_path):
    gaps = tmp_path / "gaps.csv"
    pd.concat([gaps_table(), gaps_table(floor=0.06, seed=1).assign(method="m2")]).to_csv(gaps, index=False)
    laws = {name: tmp_path / "laws" / f"{name}.csv" for name in ("scaling", "coverage", "coverage_points",
                                                                 "coverage_subsets", "required_size", "boundary")}
    run_stage("scaling_law", tmp_path, {"gaps": gaps},
              {"table": laws["scaling"], "markdown": tmp_path / "laws" / "scaling.md"},
              {"gap": "error", "estimator": "ols", "confidence": 0.95, "resamples": 200, "bootstrap_seed": 0})
    run_stage("coverage_law", tmp_path, {"gaps": gaps},
              {"table": laws["coverage"], "markdown": tmp_path / "laws" / "coverage.md",
               "points": laws["coverage_points"], "subsets": laws["coverage_subsets"],
               "required": laws["required_size"]},
              {"gap": "error", "subsets": 20, "subset_seed": 0, "statistic": "max", "x_form": "log",
               "target_gap": 0.1, "confidence": 0.95, "resamples": 200, "bootstrap_seed": 0,
               "entropy_radius": 0.3})
    references = tmp_path / "references.csv"
    reference_rows(gaps_table()).to_csv(references, index=False)
    ranking = tmp_path / "ranking.csv"
    run_stage("ranking", tmp_path, {"gaps": gaps}, {"table": ranking}, {"gap": "error"})
    robustness = tmp_path / "robustness.csv"
    run_stage("robustness", tmp_path, {"gaps": gaps}, {"table": robustness, "markdown": tmp_path / "robustness.md"},
              {"variants": {}, "gap": "error", "subsets": 20, "subset_seed": 0, "statistic": "max", "x_form": "log",
               "confidence": 0.95, "resamples": 200, "bootstrap_seed": 0})
    comparisons, heterogeneity = tmp_path / "comparisons.csv", tmp_path / "heterogeneity.csv"
    run_stage("comparisons", tmp_path, {"gaps": gaps}, {"table": comparisons, "heterogeneity": heterogeneity},
              {"gap": "error", "subsets": 20, "subset_seed": 0, "statistic": "max", "x_form": "log",
               "confidence": 0.95, "resamples": 200, "bootstrap_seed": 0})
    prediction, planner = tmp_path / "prediction.csv", tmp_path / "planner.csv"
    run_stage("prediction", tmp_path, {"gaps": gaps}, {"table": prediction},
              {"gap": "error", "subsets": 20, "subset_seed": 0, "statistic": "max", "x_form": "log",
               "confidence": 0.95, "resamples": 200, "bootstrap_seed": 0})
    run_stage("planner", tmp_path, {"gaps": gaps, "references": references}, {"table": planner},
              {"targets": [0.1, 0.02], "family": "all", "gap": "error", "statistic": "max", "confidence": 0.95,
               "resamples": 200, "bootstrap_seed": 0})
    run_stage("boundary", tmp_path,
              {"scaling": laws["scaling"], "coverage": laws["coverage"], "required": laws["required_size"],
               "references": references, "ranking": ranking, "robustness": robustness, "comparisons": comparisons,
               "heterogeneity": heterogeneity, "gaps": gaps, "prediction": prediction, "planner": planner},
              {"table": laws["boundary"], "summary": tmp_path / "SUMMARY.md", "findings": tmp_path / "findings.rst"},
              {"tolerance": 0.01, "confidence": 0.95, "convergence_tolerance": 0.005})
    run_stage("scaling_figure", tmp_path, {"gaps": gaps, "fits": laws["scaling"]},
              {"png": tmp_path / "scaling_law.png", "pdf": tmp_path / "scaling_law.pdf"}, {"gap": "error"})
    run_stage("coverage_figure", tmp_path,
              {"subsets": laws["coverage_subsets"], "points": laws["coverage_points"], "fits": laws["coverage"]},
              {"png": tmp_path / "coverage_law.png", "pdf": tmp_path / "coverage_law.pdf"})
    run_stage("comparisons_figure", tmp_path, {"table": comparisons},
              {"png": tmp_path / "comparisons.png", "pdf": tmp_path / "comparisons.pdf"})
    run_stage("prediction_figure", tmp_path, {"table": prediction},
              {"png": tmp_path / "prediction.png", "pdf": tmp_path / "prediction.pdf"})
    coverage = pd.read_csv(laws["coverage"])
    assert {"slope", "slope_ci_low", "required_slope", "statistic", "x_form"} <= set(coverage.columns)
    assert "alpha_ci_high" in pd.read_csv(laws["scaling"]).columns
    assert pd.read_csv(laws["boundary"])["target_status"].iloc[0] == "reachable"
    assert "## d · m" in (tmp_path / "SUMMARY.md").read_text()
    assert "Every one of the 160 evaluations" in (tmp_path / "SUMMARY.md").read_text()
    assert "d · m\n-----" in (tmp_path / "findings.rst").read_text()
    assert {"ranking.csv", "references.csv"} <= {p.name for p in tmp_path.iterdir()}
    assert "Required size" in (tmp_path / "laws" / "coverage.md").read_text()
    assert (tmp_path / "coverage_law.png").stat().st_size > 10_000
    assert (tmp_path / "scaling_law.png").stat().st_size > 10_000
    assert (tmp_path / "coverage_law.pdf").read_bytes().startswith(b"%PDF")
    compared = pd.read_csv(comparisons)
    assert set(compared[["method_a", "method_b"]].itertuples(index=False, name=None)) == {("m", "m2")}
    eps = compared[compared["statistic"] == "eps_line"].iloc[0]
    assert eps["differs"] and eps["diff"] == pytest.approx(-0.03, abs=0.005)  # the planted floors 0.03 and 0.06
    assert set(pd.read_csv(heterogeneity)["method"]) == {"m", "m2"}
    summary = (tmp_path / "SUMMARY.md").read_text()
    assert "## Comparisons" in summary and "**d · m − m2**: floor ε of the line" in summary
    assert "## One curve for every configuration?" in summary
    assert (tmp_path / "comparisons.png").stat().st_size > 10_000
    predicted = pd.read_csv(prediction)
    assert {"scaling", "worst", "coverage", "across methods"} <= set(predicted["law"])
    assert set(predicted.loc[predicted["ipc"] == 0, "predicts"].dropna().astype(str)) <= {"True", "False"}
    assert set(pd.read_csv(planner)["target_gap"]) == {0.1, 0.02}
    assert "## Does the law predict?" in summary and "## Planner: the k for a target gap" in summary
    assert (tmp_path / "prediction.png").stat().st_size > 10_000
