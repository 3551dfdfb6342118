"""GPU requests follow the config, on a host without a GPU as on one with it; a
job promised a GPU that finds none fails at once, naming itself and the fix;
``precision`` switches the training's arithmetic."""

from __future__ import annotations

import copy
import logging

import pytest
import torch

from test_plugins import readme_plugin
from ddlaws import runtime
from ddlaws.methods.common import Checkpointer
from ddlaws.methods import get_method
from workflow_runner import TINY, planned_requests, snakemake, write_config

COMPUTE_RULES = {"expert", "reference", "distill", "evaluate"}


def requests(tmp_path, overrides: dict) -> dict[str, set[tuple]]:
    """rule -> the distinct (gpu, gpu_model) requests of its jobs in a dry run."""
    config = {**copy.deepcopy(TINY), "methods": ["random", "dm", "mtt", "my_method"],
              "plugins": [str(tmp_path / "my_method.py")], **overrides}
    (tmp_path / "my_method.py").write_text(readme_plugin())
    found: dict[str, set[tuple]] = {}
    for rule, wildcards, resources in planned_requests(tmp_path, write_config(tmp_path, config)):
        key = f"{rule}:{wildcards['method']}" if rule == "distill" else rule
        found.setdefault(key, set()).add((resources.get("gpu"), resources.get("gpu_model")))
    return found


@pytest.mark.workflow
def test_every_compute_job_asks_for_a_gpu_where_the_config_says_cuda(tmp_path):
    # this host has no GPU (or, on one that has, the request is the same): the config alone decides
    found = requests(tmp_path, {"device": "cuda", "resources": {"gpu_model": "a100"}})
    compute = {key: value for key, value in found.items() if key.split(":")[0] in COMPUTE_RULES}
    assert {key.split(":")[0] for key in compute} == COMPUTE_RULES
    assert "distill:my_method" in compute  # a plug-in's distillation is asked for alike
    assert all(value == {("1", "a100")} for value in compute.values()), compute
    assert all(value == {(None, None)} or value == {("0", None)}
               for key, value in found.items() if key.split(":")[0] not in COMPUTE_RULES), found


@pytest.mark.workflow
@pytest.mark.parametrize("device", ["auto", "cpu"])
def test_no_job_asks_for_a_gpu_under_auto_or_cpu(tmp_path, device):
    found = requests(tmp_path, {"device": device, "resources": {"gpu_model": "a100"}})
    assert all(value <= {("0", None), (None, None)} for value in found.values()), found


def no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.mark.parametrize(("device", "gpus", "promise"), [("cuda", 0, "device: cuda"), ("auto", 1, "resources gpu=1")])
def test_a_promised_gpu_that_is_missing_fails_at_once_naming_the_job_and_the_fix(monkeypatch, device, gpus,
                                                                                  promise):
    no_cuda(monkeypatch)
    fix = r"set device: cpu in the config \(and request no gpu\), or run it on a GPU node"
    with pytest.raises(runtime.NoGPU, match=rf"^distill dataset=cifar10 ipc=10: promised a GPU \({promise}.*{fix}"):
        runtime.job_device("distill dataset=cifar10 ipc=10", device, gpus)


def test_auto_without_a_gpu_trains_on_the_cpu_and_warns(monkeypatch, caplog):
    no_cuda(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="ddlaws"):
        assert runtime.job_device("evaluate dataset=digits", "auto").type == "cpu"
    assert "evaluate dataset=digits: device: auto found no CUDA device" in caplog.text
    assert "set device: cuda" in caplog.text
    caplog.clear()
    assert runtime.job_device("evaluate dataset=digits", "cpu", gpus=1).type == "cpu"  # cpu is asked for outright
    assert caplog.text == ""


@pytest.mark.workflow
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a host without CUDA")
def test_a_workflow_job_promised_a_gpu_on_a_host_without_one_fails_with_the_message(tmp_path):
    config = {**copy.deepcopy(TINY), "device": "cuda"}
    target = "results/reference/digits/mlp-sgd-none.csv"
    proc = snakemake(tmp_path, configfile=write_config(tmp_path, config), check=False, targets=(target,))
    assert proc.returncode != 0
    log = (tmp_path / "results" / "logs" / "reference" / "digits" / "mlp-sgd-none.log").read_text()
    assert "NoGPU: reference dataset=digits config=mlp-sgd-none: promised a GPU (device: cuda)" in log
    assert "set device: cpu in the config" in log
    assert "job finished after" in log and "epoch" not in log  # it stopped before training


def bf16_matmul_works() -> bool:
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return (torch.ones(8, 8) @ torch.ones(8, 8)).dtype == torch.bfloat16
    except RuntimeError:
        return False


@pytest.mark.skipif(not bf16_matmul_works(), reason="this CPU's torch has no bfloat16 autocast")
def test_bf16_distils_in_bfloat16_and_stays_near_fp32(digits):
    p = {"iterations": 3, "lr_img": 1.0, "momentum_img": 0.5, "batch_real": 32, "init": "real", "augment_spec":
         {"type": "none"}, "arch_spec": {"net": "convnet", "width": 16, "depth": 2, "norm": "instance",
                                          "activation": "relu", "pooling": "avg"}}
    seen = []
    hook = torch.nn.modules.module.register_module_forward_hook(lambda m, i, out: seen.append(out.dtype))
    try:
        results = {}
        for name in ("fp32", "bf16"):
            seen.clear()
            with runtime.precision(name, "cpu"):
                results[name] = get_method("dm")(digits, 2, 0, p, Checkpointer(None, 0, ""))
            assert (torch.bfloat16 in seen) == (name == "bf16")
    finally:
        hook.remove()
    fp32, bf16 = (results[name]["images"] for name in ("fp32", "bf16"))
    assert bf16.dtype == torch.float32 and torch.isfinite(bf16).all()  # the images stay float32
    assert not torch.equal(fp32, bf16)
    assert (fp32 - bf16).abs().max() < 0.05 * fp32.abs().max()
    assert torch.equal(results["bf16"]["labels"], results["fp32"]["labels"])


@pytest.mark.parametrize(("name", "tf32"), [("fp32", False), ("tf32", True), ("bf16", False)])
def test_precision_sets_tf32_for_its_body_only(name, tf32):
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    with runtime.precision(name, "cpu"):
        assert torch.backends.cuda.matmul.allow_tf32 == torch.backends.cudnn.allow_tf32 == tf32
    assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == before
