"""The real workflow on a tiny config: its tables, figures and report, and what a
changed knob, an added IPC, a code change and a killed job make Snakemake
re-run (and leave behind)."""

from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import torch

from conftest import ROOT
from ddlaws.atomic import load_tensors
from workflow_runner import SNAKEMAKE, TINY, copy_workflow, planned_jobs, snakemake, write_config

pytestmark = pytest.mark.workflow

# Three methods at three sizes; DM runs long enough (seconds, a checkpoint every
# 25 iterations) for a kill to land mid-distillation.
CONFIG = {
    **copy.deepcopy(TINY),
    "methods": ["random", "dm", "mtt", "dm_pool"],
        # a pool variant of DM; its own lr_img, so that a change of DM's alone re-runs DM alone
    "variants": {"dm_pool": {"method": "dm", "pool": {"arch": ["convnet", "convnet_narrow"]},
                             "set": {"iterations": 20, "lr_img": 10.0}}},
    "device": "cpu",
    "checkpoint_every": 25,
    "dm": {"iterations": 300, "batch_real": 16, "arch": "convnet", "augment": "none"},
    "experts": {"count": 1, "training": {"epochs": 2, "augment": "none"}},
    "mtt": {"iterations": 3, "syn_steps": 4, "expert_epochs": 1, "max_start_epoch": 1, "augment": "none",
            "overrides": []},
}
IPCS = CONFIG["ipcs"]
# What every change to the distilled sets re-runs downstream of the evaluations.
DOWNSTREAM = {"tables": 1, "ranking": 1, "scaling_law": 1, "coverage_law": 1, "boundary": 1, "scaling_figure": 1,
              "coverage_figure": 1, "robustness": 1, "robustness_figure": 1, "comparisons": 1, "comparisons_figure": 1,
              "prediction": 1, "planner": 1, "prediction_figure": 1}


def changed_config(workdir: Path, change) -> Path:
    config = copy.deepcopy(CONFIG)
    change(config)
    return write_config(workdir, config, "changed.yaml")


def table(workdir: Path, name: str) -> pd.DataFrame:
    """A result table without its wall-time columns, in a fixed row order."""
    frame = pd.read_csv(workdir / "results" / "tables" / name)
    frame = frame.drop(columns=[c for c in frame.columns if "time" in c])
    keys = [c for c in ("dataset", "method", "ipc", "seed", "config", "eval_seed") if c in frame]
    return frame.sort_values(keys).reset_index(drop=True)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("wf")
    configfile = write_config(workdir, CONFIG)
    snakemake(workdir, configfile=configfile)
    return workdir, configfile


def test_tables_and_figures(finished):
    workdir, _ = finished
    results = workdir / "results"
    ev = pd.read_csv(results / "tables/evaluations.csv")
    assert {"dataset", "method", "ipc", "seed", "config", "eval_seed", "test_acc", "test_loss"} <= set(ev.columns)
    assert len(ev) == 4 * len(IPCS) * 2 * 2  # methods x ipcs x configs x eval seeds
    assert ev["test_acc"].between(0, 1).all() and (ev["test_acc"] > 0.15).all()
    gaps = pd.read_csv(results / "tables/gaps.csv")
    assert len(gaps) == 4 * len(IPCS) * 2
    # a smaller distilled set is worse, on average over configurations
    by_k = gaps[gaps["method"] == "random"].groupby("ipc")["delta_err"].mean()
    assert by_k.loc[1] > by_k.loc[4]
    laws = pd.read_csv(results / "laws/scaling.csv")
    assert {"dataset", "method", "config", "n", "intercept", "intercept_ci_low", "intercept_ci_high", "slope",
            "r2"} <= set(laws.columns)
    assert set(laws["config"]) == {"mlp-sgd-none", "mlp-adam-none", "pooled"}
    assert set(laws["method"]) == {"random", "dm", "mtt", "dm_pool"}
    assert (laws.loc[laws["method"] == "random", "slope"] > 0).all()
    assert "| digits | random | pooled |" in (results / "laws/scaling.md").read_text()
    for figure in ("scaling_law", "coverage_law"):
        for suffix in ("png", "pdf"):
            assert (results / f"figures/{figure}.{suffix}").stat().st_size > 10_000
    coverage = pd.read_csv(results / "laws/coverage.csv")
    assert set(coverage["method"]) == {"random", "dm", "mtt", "dm_pool"} and coverage["slope"].notna().all()
    robustness = pd.read_csv(results / "laws/robustness.csv")
    assert set(robustness["pool_variant"]) == {"dm_pool"} and set(robustness["ipc"]) == {0, *IPCS}
    assert (robustness["out_of_pool"] == "mlp-adam-none mlp-sgd-none").all()  # the tiny family is all MLP
    assert (results / "figures/robustness.png").stat().st_size > 10_000
    comparisons = pd.read_csv(results / "laws/comparisons.csv")
    assert len(comparisons[["method_a", "method_b"]].drop_duplicates()) == 6  # every pair of the 4 methods
    assert set(comparisons["statistic"]) == {"eps_line", "c_line", "alpha_free", "coverage_coef", "worst", "mean_ior"}
    assert set(comparisons["ipc"]) == {0, *IPCS} and comparisons["pvalue_holm"].notna().all()
    assert set(pd.read_csv(results / "laws/heterogeneity.csv")["method"]) == {"random", "dm", "mtt", "dm_pool"}
    assert (results / "figures/comparisons.png").stat().st_size > 10_000
    summary = (results / "SUMMARY.md").read_text()
    assert all(f"digits · {m}" in summary for m in ("random", "dm", "mtt", "dm_pool"))
    assert "**digits · dm_pool** against dm" in summary
    assert "## Comparisons" in summary and "## One curve for every configuration?" in summary
    # three k: too few for the scaling law's checks (three fitted k at least), enough for the worst-Δ curve's
    assert "worst" in set(pd.read_csv(results / "laws/prediction.csv")["law"])
    assert len(pd.read_csv(results / "laws/planner.csv")) == 4 * 2  # methods x the default's two targets
    assert "## Does the law predict?" in summary and "## Planner: the k for a target gap" in summary
    record = load_tensors(results / "distilled/digits/random/ipc2/seed0.pt")
    assert record["images"].shape == (20, 1, 8, 8) and record["lr"] is None
    assert torch.bincount(record["labels"]).tolist() == [2] * 10
    assert load_tensors(results / "distilled/digits/mtt/ipc2/seed0.pt")["lr"] > 0
    assert (results / "distilled/digits/random/ipc2/seed0.png").read_bytes()[:4] == b"\x89PNG"
    for log in ("download/digits.log", "evaluate/digits/random/ipc1/seed0.log", "distill/digits/dm/ipc1/seed0.log"):
        assert "job finished" in (results / "logs" / log).read_text()


def test_the_laws_cli_on_the_runs_accuracies_gives_the_law_stages_numbers(finished, tmp_path):
    """``ddlaws-laws`` on the run's evaluations.csv and references.csv: the same tables, to the last digit."""
    from ddlaws.report.laws_cli import main

    workdir, _ = finished
    results = workdir / "results"
    assert main([str(results / "tables/evaluations.csv"), "--references", str(results / "tables/references.csv"),
                 "--out", str(tmp_path), "--no-figures", "--resamples", str(CONFIG["laws"]["resamples"])]) == 0
    for name in ("tables/gaps.csv", "tables/ranking.csv", "laws/scaling.csv", "laws/coverage.csv",
                 "laws/required_size.csv", "laws/comparisons.csv", "laws/heterogeneity.csv", "laws/boundary.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name), pd.read_csv(results / name), check_exact=True,
                                      obj=name)
    for page in ("laws/scaling.md", "laws/coverage.md"):
        assert (tmp_path / page).read_text() == (results / page).read_text()
    # SUMMARY.md is the pipeline's but for the pool variant's robustness section, which needs the run's config
    ours, theirs = ((root / "SUMMARY.md").read_text() for root in (tmp_path, results))
    cut = theirs.index("## Configuration-robust distillation")
    assert ours == theirs[:cut] + theirs[theirs.index("## Comparisons", cut):]


def test_report_holds_figures_tables_and_grids(finished, tmp_path):
    workdir, configfile = finished
    snakemake(workdir, "--report", str(tmp_path / "report.zip"), configfile=configfile)
    import zipfile

    with zipfile.ZipFile(tmp_path / "report.zip") as report:
        names = report.namelist()
    for expected in ("scaling_law.png", "coverage_law.png", "scaling.csv", "coverage.csv", "boundary.csv",
                     "gaps.csv", "ranking.csv", "findings.rst", "seed0.png", "report.html", "comparisons.png",
                     "comparisons.csv", "heterogeneity.csv", "prediction.png", "prediction.csv", "planner.csv"):
        assert any(name.endswith(expected) for name in names), expected


def test_changing_the_bootstrap_reruns_only_the_laws(finished):
    workdir, _ = finished
    jobs = planned_jobs(workdir, changed_config(workdir, lambda c: c.setdefault("laws", {}).update(resamples=50)))
    assert Counter(rule for rule, _ in jobs) == {"scaling_law": 1, "coverage_law": 1, "boundary": 1,
                                                 "scaling_figure": 1, "coverage_figure": 1, "robustness": 1,
                                                 "robustness_figure": 1, "comparisons": 1, "comparisons_figure": 1,
                                                 "prediction": 1, "planner": 1, "prediction_figure": 1}


def test_changing_one_pool_reruns_only_that_variant(finished):
    workdir, _ = finished
    jobs = planned_jobs(workdir, changed_config(workdir, lambda c: c["variants"]["dm_pool"]["pool"].update(
        arch=["convnet_narrow"])))
    assert Counter(rule for rule, _ in jobs) == {"distill": len(IPCS), "evaluate": len(IPCS), **DOWNSTREAM}
    assert {wc["method"] for rule, wc in jobs if rule in ("distill", "evaluate")} == {"dm_pool"}


def test_changing_one_evaluation_parameter_reruns_only_its_dependents(finished):
    workdir, _ = finished
    jobs = planned_jobs(workdir, changed_config(workdir, lambda c: c.update(
        optimizers={"adam": {"type": "adam", "lr": 0.01}})))
    assert Counter(rule for rule, _ in jobs) == {"reference": 1, "evaluate": 4 * len(IPCS), **DOWNSTREAM}
    assert [wc["config"] for rule, wc in jobs if rule == "reference"] == ["mlp-adam-none"]


def test_a_changed_optimizer_trains_only_the_models_that_use_it(finished, tmp_path):
    """Adam's lr changed, in a copy of the finished run: every evaluate job runs, but each trains only its Adam
    configuration, as the dry run announced; the SGD rows are the stored ones."""
    reference_dir, _ = finished
    workdir = tmp_path / "run"
    shutil.copytree(reference_dir, workdir, symlinks=True)
    configfile = changed_config(workdir, lambda c: c.update(optimizers={"adam": {"type": "adam", "lr": 0.01}}))
    sets, seeds = 4 * len(IPCS), len(CONFIG["evaluation"]["eval_seeds"])
    target = ("results/tables/evaluations.csv",)
    dry = snakemake(workdir, "--dry-run", configfile=configfile, targets=target)
    adam_models = sets * seeds
    assert f"evaluation: {adam_models} of {2 * adam_models} models stored; up to {adam_models} to train" in dry.stdout
    snakemake(workdir, configfile=configfile, targets=target)
    logs = list((workdir / "results" / "logs" / "evaluate").rglob("*.log"))
    assert len(logs) == sets
    for log in logs:
        assert f"{seeds} of {2 * seeds} models stored; training {seeds} (1 configuration x {seeds} eval seeds)" in \
            log.read_text(), log
    before, after = (table(root, "evaluations.csv") for root in (reference_dir, workdir))
    pd.testing.assert_frame_equal(after[after["config"] == "mlp-sgd-none"], before[before["config"] == "mlp-sgd-none"])
    assert not after.loc[after["config"] == "mlp-adam-none", "test_acc"].equals(
        before.loc[before["config"] == "mlp-adam-none", "test_acc"])


def test_nothing_changed_schedules_nothing(finished):
    assert planned_jobs(*finished) == []


def test_one_method_hyperparameter_reruns_only_that_method(finished):
    workdir, _ = finished
    jobs = planned_jobs(workdir, changed_config(workdir, lambda c: c["dm"].update(lr_img=5.0)))
    assert Counter(rule for rule, _ in jobs) == {"distill": len(IPCS), "evaluate": len(IPCS), **DOWNSTREAM}
    assert {wc["method"] for rule, wc in jobs if rule in ("distill", "evaluate")} == {"dm"}


def test_an_added_ipc_computes_only_its_jobs_and_the_laws(finished):
    workdir, _ = finished
    jobs = planned_jobs(workdir, changed_config(workdir, lambda c: c.update(ipcs=[*IPCS, 3])))
    assert Counter(rule for rule, _ in jobs) == {"distill": 4, "evaluate": 4, **DOWNSTREAM}
    assert {wc["ipc"] for rule, wc in jobs if rule in ("distill", "evaluate")} == {"3"}


def test_a_code_change_reruns_the_stages_that_import_it(finished, tmp_path):
    """The workflow in a copy, its package edited: jobs whose code changed re-run, others do not."""
    workdir, configfile = finished
    copy_root = tmp_path / "repo"
    snakefile = ("-s", str(copy_workflow(copy_root)))
    package = copy_root / "workflow" / "scripts" / "ddlaws"
    assert planned_jobs(workdir, configfile, *snakefile) == []

    with (package / "report" / "plots.py").open("a") as f:
        f.write("\n# an edit\n")
    jobs = planned_jobs(workdir, configfile, *snakefile)
    assert Counter(rule for rule, _ in jobs) == {"scaling_figure": 1, "coverage_figure": 1, "robustness_figure": 1,
                                                 "comparisons_figure": 1, "prediction_figure": 1}

    with (package / "methods" / "dm.py").open("a") as f:
        f.write("\n# an edit\n")
    jobs = planned_jobs(workdir, configfile, *snakefile)  # DM's code runs DM and its pool variant
    assert Counter(rule for rule, _ in jobs) == {"distill": 2 * len(IPCS), "evaluate": 2 * len(IPCS), **DOWNSTREAM}
    assert {wc["method"] for rule, wc in jobs if rule in ("distill", "evaluate")} == {"dm", "dm_pool"}


def test_a_killed_run_leaves_nothing_complete_looking_and_resumes(finished, tmp_path):
    """SIGKILL to a run mid-DM (in a copy of the finished run, a DM set forced to
    re-run): no distilled set is left half-written, the checkpoint is kept, and
    after --unlock the same command with --rerun-incomplete resumes from it to the
    same sets and tables."""
    reference_dir, _ = finished
    workdir = tmp_path / "run"
    shutil.copytree(reference_dir, workdir, symlinks=True)
    configfile = write_config(workdir, CONFIG)
    dm_sets = ["results/distilled/digits/dm/ipc1/seed0.pt"]
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(workdir), "--cores", "2",
           "--configfile", str(configfile), "--forcerun", *dm_sets]
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    checkpoints = workdir / "results" / "checkpoints" / "digits" / "dm"
    deadline = time.time() + 300
    while not any(checkpoints.rglob("*.pt")):
        assert run.poll() is None, "the run ended before DM wrote a checkpoint"
        assert time.time() < deadline, "no DM checkpoint within 300 s"
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()

    interrupted = sorted(p.relative_to(checkpoints) for p in checkpoints.rglob("*.pt"))
    for rel in interrupted:
        # the distillation that was running has no output; its checkpoint is a readable file
        assert not (workdir / "results" / "distilled" / "digits" / "dm" / rel).exists()
        assert load_tensors(checkpoints / rel)["iteration"] >= 0
    # every distilled set that is there is whole
    for path in (workdir / "results" / "distilled").rglob("*.pt"):
        assert load_tensors(path)["images"].isfinite().all()

    # the killed Snakemake left its lock: a new run refuses until --unlock
    locked = snakemake(workdir, configfile=configfile, check=False)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    snakemake(workdir, "--unlock", configfile=configfile)
    # the same command again, with --rerun-incomplete
    snakemake(workdir, "--forcerun", *dm_sets, "--rerun-incomplete", configfile=configfile)
    for rel in interrupted:
        log = workdir / "results" / "logs" / "distill" / "digits" / "dm" / rel.with_suffix(".log")
        assert "resumed from" in log.read_text()
    for path in dm_sets:
        assert torch.equal(load_tensors(workdir / path)["images"], load_tensors(reference_dir / path)["images"])
    assert not any(checkpoints.rglob("*.pt"))
    for name in ("evaluations.csv", "gaps.csv"):
        pd.testing.assert_frame_equal(table(workdir, name), table(reference_dir, name))


def test_a_second_run_in_the_same_directory_is_refused_and_the_first_finishes(tmp_path):
    """Snakemake's lock: two runs at once in one directory would write the same files."""
    config = {**copy.deepcopy(TINY), "methods": ["dm"], "ipcs": [1], "device": "cpu",
              "dm": {"iterations": 1500, "batch_real": 16, "arch": "convnet", "augment": "none"}}
    configfile = write_config(tmp_path, config)
    target = "results/distilled/digits/dm/ipc1/seed0.pt"
    # the target before --configfile, which would take it for a second config file
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--cores", "1", target,
           "--configfile", str(configfile)]
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = tmp_path / "results" / "logs" / "distill" / "digits" / "dm" / "ipc1" / "seed0.log"
    deadline = time.time() + 120
    while not running.exists() and time.time() < deadline:  # the first run holds the lock and runs its job
        time.sleep(0.2)
    second = snakemake(tmp_path, target, "--configfile", str(configfile), check=False)
    assert second.returncode != 0
    assert "cannot be locked" in second.stdout + second.stderr
    out, _ = first.communicate(timeout=600)
    assert first.returncode == 0, out[-3000:]
    assert load_tensors(tmp_path / target)["images"].shape == (10, 1, 8, 8)
