"""The real workflow on a tiny config: its tables and figures, and incremental re-runs."""

import copy

import pandas as pd
import pytest
import torch

from ddlaws.atomic import load_tensors
from workflow_runner import TINY, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("wf")
    configfile = write_config(workdir, TINY)
    snakemake(workdir, configfile=configfile)
    return workdir, configfile


def test_tables_and_figures(finished):
    workdir, _ = finished
    results = workdir / "results"
    ev = pd.read_csv(results / "tables/evaluations.csv")
    assert {"dataset", "method", "ipc", "seed", "config", "eval_seed", "test_acc", "test_loss"} <= set(ev.columns)
    assert len(ev) == 3 * 2 * 2  # ipcs x configs x eval seeds
    assert ev["test_acc"].between(0, 1).all() and (ev["test_acc"] > 0.15).all()
    gaps = pd.read_csv(results / "tables/gaps.csv")
    assert len(gaps) == 3 * 2
    # a smaller distilled set is worse, on average over configurations
    by_k = gaps.groupby("ipc")["delta_err"].mean()
    assert by_k.loc[1] > by_k.loc[4]
    laws = pd.read_csv(results / "laws/scaling.csv")
    assert {"dataset", "method", "config", "n", "intercept", "intercept_ci_low", "intercept_ci_high", "slope",
            "r2"} <= set(laws.columns)
    assert set(laws["config"]) == {"mlp-sgd-none", "mlp-adam-none", "pooled"}
    assert (laws["slope"] > 0).all()
    assert "| digits | random | pooled |" in (results / "laws/scaling.md").read_text()
    for figure in ("scaling_law", "coverage_law"):
        for suffix in ("png", "pdf"):
            assert (results / f"figures/{figure}.{suffix}").stat().st_size > 10_000
    coverage = pd.read_csv(results / "laws/coverage.csv")
    assert set(coverage["method"]) == {"random"} and coverage["slope"].notna().all()
    assert "random" in (results / "SUMMARY.md").read_text()
    record = load_tensors(results / "distilled/digits/random/ipc2/seed0.pt")
    assert record["images"].shape == (20, 1, 8, 8) and record["lr"] is None
    assert torch.bincount(record["labels"]).tolist() == [2] * 10
    assert (results / "distilled/digits/random/ipc2/seed0.png").read_bytes()[:4] == b"\x89PNG"
    for log in ("download/digits.log", "evaluate/digits/random/ipc1/seed0.log"):
        assert "job finished" in (results / "logs" / log).read_text()


def test_second_run_schedules_nothing(finished):
    workdir, configfile = finished
    assert planned_jobs(workdir, configfile) == []


def test_changing_one_evaluation_parameter_reruns_only_its_dependents(finished):
    workdir, _ = finished
    changed = copy.deepcopy(TINY)
    changed["optimizers"] = {"adam": {"type": "adam", "lr": 0.01}}
    jobs = planned_jobs(workdir, write_config(workdir, changed, "changed.yaml"))
    rules = sorted({rule for rule, _ in jobs})
    assert rules == ["boundary", "coverage_figure", "coverage_law", "evaluate", "reference", "scaling_figure",
                     "scaling_law", "tables"]
    assert [wc["config"] for rule, wc in jobs if rule == "reference"] == ["mlp-adam-none"]
    assert len([1 for rule, _ in jobs if rule == "evaluate"]) == 3
