"""A method is one module: the registry, the schema's blocks and the workflow
agree, and a method written as the README says runs through the workflow."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import torch
import yaml

from conftest import DEFAULT_CONFIG, ROOT, SCHEMA
from ddlaws.atomic import load_tensors
from ddlaws.methods import METHODS
from workflow_runner import TINY, copy_workflow, snakemake, write_config


def test_the_schema_has_a_block_for_exactly_the_methods_that_have_parameters():
    blocks = set(yaml.safe_load(SCHEMA.read_text())["properties"])
    ours = {name: m for name, m in METHODS.items() if m.plugin_file is None}  # a plug-in brings its block
    configured = {name for name, m in ours.items() if m.configured}
    assert configured <= blocks
    assert not (set(ours) - configured) & blocks
    # the default config sets only blocks that exist
    assert {key for key in DEFAULT_CONFIG if key in METHODS} <= configured


def test_every_method_declares_a_work_and_memory_model_and_known_inputs():
    for name, m in METHODS.items():
        assert m.module.startswith("ddlaws.methods."), name
        assert callable(m.work) and callable(m.batch), name
    assert METHODS["mtt"].inputs == ("experts",)
    assert all(not m.inputs for name, m in METHODS.items() if name != "mtt")


def readme_example() -> tuple[str, dict]:
    """The module and the schema block of the README's "Adding a distillation method"."""
    section = (ROOT / "README.md").read_text().split("## Adding a distillation method")[1].split("\n## ")[0]
    module = re.findall(r"```python\n(.*?)```", section, re.S)[0]
    block = yaml.safe_load(re.findall(r"```yaml\n(.*?)```", section, re.S)[0])
    return module, block


@pytest.mark.workflow
def test_a_method_added_as_the_readme_says_runs_through_the_workflow(tmp_path):
    module, block = readme_example()
    snakefile = copy_workflow(tmp_path / "repo")
    (tmp_path / "repo" / "workflow" / "scripts" / "ddlaws" / "methods" / "toy.py").write_text(module)
    schema_path = tmp_path / "repo" / "workflow" / "schemas" / "config.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    schema["properties"].update(block)
    schema_path.write_text(yaml.safe_dump(schema, sort_keys=False))

    workdir = tmp_path / "run"
    workdir.mkdir()
    config = {**TINY, "methods": ["random", "toy"], "ipcs": [1, 2], "device": "cpu", "toy": {"blend": 1.0}}
    # the copy's package plans and runs the jobs, as an installed checkout with toy.py would
    package = {"PYTHONPATH": str(tmp_path / "repo" / "workflow" / "scripts")}
    snakemake(workdir, "-s", str(snakefile), configfile=write_config(workdir, config), env=package,
              targets=("results/laws/scaling.csv",))  # the law stages beyond it take any method alike

    results = workdir / "results"
    evaluations = pd.read_csv(results / "tables/evaluations.csv")
    assert (evaluations["method"] == "toy").sum() == len(config["ipcs"]) * 2 * 2  # ipcs x configs x eval seeds
    assert set(pd.read_csv(results / "laws/scaling.csv")["method"]) == {"random", "toy"}
    record = load_tensors(results / "distilled/digits/toy/ipc2/seed0.pt")
    assert record["params"]["blend"] == 1.0
    # blend 1: every image of a class is that class's mean
    images = record["images"].view(10, 2, -1)
    assert torch.allclose(images[:, 0], images[:, 1])
    assert not torch.allclose(images[0, 0], images[1, 0])
