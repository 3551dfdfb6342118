"""Cluster requests follow a job's work: more IPC, iterations, pixels or a bigger
network ask for more time; retries ask for more still."""

import pytest

from conftest import merged
from ddlaws.plan import job_resources as jr
from ddlaws.plan.configs import evaluation_family, method_params

PAPER_LIKE = {"datasets": ["cifar10"], "methods": ["random", "dm", "gm", "mtt"],
              "architectures": {"convnet": {"net": "convnet", "width": 128, "depth": 3},
                                "resnet18": {"net": "resnet18"}},
              "dm": {"iterations": 20000}, "gm": {"iterations": 1000, "loops": None},
              "mtt": {"iterations": 5000, "overrides": []}, "experts": {"training": {"epochs": 50}}}


def minutes(config, rule, dataset, params, ipc=1):
    return jr.runtime_minutes(jr.job_work(rule, config, dataset, params, ipc), config)


def test_convnet_flops_match_the_counted_reference():
    config = merged(PAPER_LIKE)
    assert jr.image_flops(config["architectures"]["convnet"], config, "cifar10") == pytest.approx(1.015e8, rel=0.01)


@pytest.mark.parametrize("method", ["dm", "gm", "mtt"])
def test_runtime_grows_with_ipc_and_iterations(method):
    config = merged(PAPER_LIKE)
    small, large = (minutes(config, method, "cifar10", method_params(config, method, "cifar10", k), k) for k in (1, 50))
    assert large > small >= jr.MIN_MINUTES
    longer = merged({**PAPER_LIKE, method: {**PAPER_LIKE[method], "iterations": 4 * PAPER_LIKE[method]["iterations"]}})
    assert minutes(longer, method, "cifar10", method_params(longer, method, "cifar10", 50), 50) > large


def test_bigger_networks_and_images_ask_for_more():
    config = merged(PAPER_LIKE)
    family = evaluation_family(merged({**PAPER_LIKE, "evaluation": {"grid": {"arch": ["convnet", "resnet18"]}}}))
    convnet_only = {k: v for k, v in family.items() if k.startswith("convnet")}
    assert minutes(config, "evaluate", "cifar10", family, 50) > minutes(config, "evaluate", "cifar10", convnet_only, 50)
    dm = method_params(config, "dm", "cifar10", 10)
    assert jr.job_work("dm", config, "imagenette", dm, 10)[0] > 10 * jr.job_work("dm", config, "cifar10", dm, 10)[0]


def test_small_jobs_get_the_floor_and_the_factor_scales():
    config = merged()
    assert minutes(config, "random", "digits", {}) == jr.MIN_MINUTES
    paper = merged(PAPER_LIKE)
    slow = merged({**PAPER_LIKE, "resources": {"runtime_factor": 10}})
    params = method_params(paper, "gm", "cifar10", 50)
    assert minutes(slow, "gm", "cifar10", params, 50) == pytest.approx(10 * minutes(paper, "gm", "cifar10", params, 50),
                                                                       rel=0.01)
