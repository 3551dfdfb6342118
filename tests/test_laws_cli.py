"""``ddlaws-laws``: a table of accuracies from anywhere, through the law stages' code, without torch.

That it gives a pipeline run's own tables is checked on the real run, in
``test_workflow.py``; here: a paper's table (three k, one configuration, mean ±
sd), every bad input, the README's example with torch made unimportable, and
the options and entry point.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, merged
from ddlaws.laws.accuracies import pseudo_observations
from ddlaws.laws.scaling_fit import POOLED
from ddlaws.report.laws_cli import main, parser
from test_parse_imports import BLOCKER, SCRIPTS

FAST = ["--resamples", "200", "--no-figures"]
# a paper's table: three k, one configuration, mean ± sd over n evaluations, in percent
PAPER = {"random": {1: (14.4, 2.0), 10: (26.0, 1.2), 50: (43.4, 1.0)},
         "dm": {1: (26.0, 0.8), 10: (48.9, 0.6), 50: (63.0, 0.4)}}


def paper_table(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame([{"dataset": "cifar10", "method": method, "ipc": k, "config": "convnet", "test_acc_mean": mean,
                          "test_acc_sd": sd, "n": n} for method, cells in PAPER.items()
                         for k, (mean, sd) in cells.items()])


def per_seed_table() -> pd.DataFrame:
    """Two methods at two k under one configuration, two eval seeds each, and its reference rows, on 0–1."""
    rows = [{"dataset": "d", "method": method, "ipc": k, "config": "c", "eval_seed": e,
             "test_acc": 0.5 + 0.1 * k ** 0.5 + 0.01 * e} for method in ("a", "b") for k in (1, 4) for e in (0, 1)]
    rows += [{"dataset": "d", "method": "full_data", "ipc": None, "config": "c", "eval_seed": e, "test_acc": 0.95}
             for e in (0, 1)]
    return pd.DataFrame(rows)


def test_a_mean_and_sd_become_evaluations_with_exactly_that_mean_and_sd():
    for n in (2, 3, 5, 20):
        values = pseudo_observations(0.42, 0.013, n)
        assert len(values) == n and values.mean() == pytest.approx(0.42, abs=1e-15)
        assert values.std(ddof=1) == pytest.approx(0.013, rel=1e-12)
    assert pseudo_observations(0.42, float("nan"), 1).tolist() == [0.42]


def test_a_papers_table_gives_the_fits_it_allows_and_says_what_it_cannot(tmp_path, capsys):
    table, references = tmp_path / "paper.csv", tmp_path / "full.csv"
    paper_table().to_csv(table, index=False)
    pd.DataFrame([{"dataset": "cifar10", "config": "convnet", "test_acc_mean": 84.8, "test_acc_sd": 0.1,
                   "n": 5}]).to_csv(references, index=False)
    out = tmp_path / "out"
    assert main([str(table), "--references", str(references), "--percent", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    gaps = pd.read_csv(out / "tables/gaps.csv")
    # the bootstrap sees the stated spread: each cell's variance is its sd², over n = 5 evaluations
    sd = gaps.merge(paper_table(), on=["dataset", "method", "ipc", "config"])["test_acc_sd"] / 100
    assert np.allclose(gaps["err_var"], sd ** 2, rtol=1e-12) and (gaps["n_eval"] == 5).all()
    assert np.allclose(gaps["ref_err"], 1 - 0.848)
    scaling = pd.read_csv(out / "laws/scaling.csv")
    pooled = scaling[scaling["config"] == POOLED].set_index("method")
    # the line is fitted, with a floor and an interval over the eval seeds and the sets' effects ...
    assert (pooled["chosen"] == "line").all() and pooled["floor_chosen"].notna().all()
    assert pooled["floor_chosen_ci_high"].map(np.isfinite).all()
    assert (pooled["bootstrap_unit"] == "eval seeds and k-level set effects").all()
    # ... but not the free exponent, the hinge, the coverage law or the one-curve test
    assert pooled["alpha"].isna().all() and pooled["hinge_intercept"].isna().all()
    assert pd.read_csv(out / "laws/coverage.csv")["coverage_coef"].isna().all()
    assert pd.read_csv(out / "laws/heterogeneity.csv")["statistic"].isna().all()
    worst = pd.read_csv(out / "laws/comparisons.csv").query("statistic == 'worst' and ipc == 1").iloc[0]
    assert np.isfinite(worst["diff_ci_low"])  # a comparison at one k has its interval
    summary = (out / "SUMMARY.md").read_text()
    section = summary[summary.index("## What this table can and cannot fit"):summary.index("## cifar10 · dm")]
    for said in ("no free exponent α", "no hinge", "no configuration-resampled interval", "no coverage law",
                 "no test of one curve for every configuration", "1 degree of freedom", "**cifar10 · dm, random**"):
        assert said in section and said in printed, said
    assert "without learning curves" in summary and "only the error gap" in printed
    assert "IOR" in summary  # random is in the table


def write(frame: pd.DataFrame, path) -> str:
    frame.to_csv(path, index=False)
    return str(path)


def bad(name: str, tmp_path):
    """(the command's arguments, the words its error must say) of one bad input."""
    good = per_seed_table()
    paper = paper_table()
    paper_refs = pd.DataFrame([{"dataset": "cifar10", "config": "convnet", "test_acc_mean": 84.8,
                                "test_acc_sd": 0.1, "n": 5}])
    table = tmp_path / "acc.csv"
    cases = {
        "missing column": (good.drop(columns="config"), [], "no column 'config'"),
        "single k": (good[~((good["method"] == "b") & (good["ipc"] == 4))], [],
                     "method 'b' on 'd' has a single k (1)"),
        "no reference": (pd.concat([good, good.iloc[:4].assign(config="other")], ignore_index=True), [],
                         "configuration 'other' of dataset 'd' (lines 12, 13, 14, 15) has no full-data reference"),
        "no reference, mean ± sd": (paper.assign(config=paper["config"].where(paper.index != 0, "other")),
                                    ["--references", write(paper_refs, tmp_path / "r.csv"), "--percent"],
                                    "configuration 'other' of dataset 'cifar10' (line 2) has no full-data reference"),
        "no references at all": (good[good["method"] != "full_data"], [], "no full-data references"),
        "percent, 0–1 expected": (good.assign(test_acc=good["test_acc"] * 100), [],
                                  "the 0–100 scale, where 0–1 is expected; pass --percent"),
        "0–1, percent declared": (good, ["--percent"], "lies within 0–1 (at most 0.95), where --percent expects 0–100"),
        "duplicate rows": (pd.concat([good.iloc[:1], good]), [], "duplicate rows at lines 2, 3: two evaluations of "
                           "dataset d, method a, ipc 1, config c, seed 0, eval_seed 0"),
        "not a number": (good.astype({"ipc": object}).assign(ipc=lambda f: f["ipc"].where(f.index != 2, "ten")), [],
                         "column 'ipc' must hold a whole number ≥ 1, not 'ten' (line 4)"),
        "sd with n = 1": (paper.assign(n=1), ["--references", write(paper_refs, tmp_path / "r.csv"), "--percent"],
                          "an sd needs n ≥ 2"),
        "loss gap without loss": (good, ["--gap", "loss"], "only the error gap can be fitted"),
    }
    frame, extra, message = cases[name]
    return [write(frame, table), *extra, "--out", str(tmp_path / "out"), *FAST], message


@pytest.mark.parametrize("name", ["missing column", "single k", "no reference", "no reference, mean ± sd",
                                  "no references at all",
                                  "percent, 0–1 expected", "0–1, percent declared", "duplicate rows", "not a number",
                                  "sd with n = 1", "loss gap without loss"])
def test_bad_input_is_refused_in_one_line_naming_the_column_or_row(name, tmp_path, capsys):
    args, message = bad(name, tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("ddlaws-laws: ") and err.count("\n") == 1, err
    assert message in err, err
    assert not (tmp_path / "out").exists()


def test_the_readme_example_runs_without_torch(tmp_path):
    """The README's command on the shipped example, as ``python -m ddlaws.laws``, with torch unimportable."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Fitting the laws to your own accuracies"):]
    command = re.search(r"^ddlaws-laws (examples/\S+\.csv.*)$", section, re.M).group(1)
    assert (ROOT / shlex.split(command)[0]).is_file()
    blocked = ["torch", "torchvision"]
    code = BLOCKER.format(blocked=blocked) + textwrap.dedent(f"""
        import runpy
        sys.argv = ["ddlaws-laws", *{shlex.split(command)!r}, "--out", {str(tmp_path / "out")!r},
                    "--resamples", "200"]
        try:
            runpy.run_module("ddlaws.laws", run_name="__main__", alter_sys=True)
        except SystemExit as done:
            print("imported:", sorted(m for m in sys.modules if m.split(".")[0] in {blocked!r}))
            raise
    """)
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "imported: []" in proc.stdout
    assert "## What this table can and cannot fit" in proc.stdout
    out = tmp_path / "out"
    summary = (out / "SUMMARY.md").read_text()
    assert all(f"## cifar10 · {m}" in summary for m in ("random", "dc", "dm", "mtt"))
    for figure in ("scaling_law", "coverage_law", "comparisons", "prediction"):
        assert (out / "figures" / f"{figure}.png").stat().st_size > 10_000
        assert (out / "figures" / f"{figure}.pdf").read_bytes().startswith(b"%PDF")
    tables = {p.name for p in (out / "laws").iterdir()}
    assert {"scaling.csv", "coverage.csv", "boundary.csv", "comparisons.csv", "scaling.md", "prediction.csv",
            "planner.csv"} <= tables
    assert "## Does the law predict?" in summary and "## Planner" in summary


def test_the_options_default_to_the_configs_law_settings():
    options = vars(parser().parse_args(["accuracies.csv"]))
    config = merged()
    assert {key: options[key] for key in config["laws"]} == config["laws"]
    assert options["convergence_tolerance"] == config["evaluation"]["convergence_tolerance"]
    assert options["plan_targets"] == config["plan"]["targets"] and options["plan_family"] == [config["plan"]["family"]]


def test_the_console_script_names_the_command():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["ddlaws-laws"].partition(":")
    assert getattr(importlib.import_module(module), name) is main
