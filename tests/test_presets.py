"""The preset configs: they validate, and a dry run of the paper's scale lists
every job (without data, in seconds)."""

from collections import Counter

import pytest
import yaml

from conftest import ROOT, merged, readme_count
from ddlaws.plan.configs import evaluation_family, method_params
from workflow_runner import planned_jobs

PRESETS = sorted((ROOT / "config").glob("*.yaml"))


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.name)
def test_preset_validates(preset):
    config = merged(yaml.safe_load(preset.read_text()))
    assert len(evaluation_family(config)) >= 8


def test_paper_preset_uses_the_published_settings():
    config = merged(yaml.safe_load((ROOT / "config" / "paper.yaml").read_text()))
    assert config["datasets"] == ["mnist", "cifar10", "cifar100", "imagenette"]
    assert config["ipcs"] == [1, 2, 5, 10, 20, 50]
    assert config["architectures"]["convnet"] == {"net": "convnet", "width": 128, "depth": 3, "norm": "instance",
                                                  "activation": "relu", "pooling": "avg"}
    assert method_params(config, "dm", "cifar10", 10)["iterations"] == 20000
    mtt = method_params(config, "mtt", "cifar10", 1)
    assert (mtt["syn_steps"], mtt["expert_epochs"], mtt["max_start_epoch"], mtt["lr_img"]) == (50, 2, 2, 100)
    assert method_params(config, "mtt", "cifar100", 50)["batch_syn"] == 125
    assert method_params(config, "mtt", "mnist", 10)["augment"] == "dsa_mnist"


def test_paper_preset_dry_run_lists_every_job(tmp_path):
    jobs = planned_jobs(tmp_path, ROOT / "config" / "paper.yaml")
    sets = 4 * 7 * 6  # datasets x methods (4 plain, 3 pool variants) x ipcs (one seed)
    assert Counter(rule for rule, _ in jobs) == {
        "download": 4, "expert": 4 * 3 * 100, "distill": sets, "evaluate": sets, "reference": 4 * 16,
        "tables": 1, "ranking": 1, "scaling_law": 1, "coverage_law": 1, "boundary": 1, "scaling_figure": 1,
        "coverage_figure": 1, "robustness": 1, "robustness_figure": 1, "comparisons": 1, "comparisons_figure": 1,
        "prediction": 1, "planner": 1, "prediction_figure": 1}
    assert readme_count(r"GPU cluster \(([\d,]+) jobs; `snakemake -n`") == len(jobs)
