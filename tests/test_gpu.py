"""The CUDA paths against the CPU's (``make gpu-check``; skipped without CUDA).

On CUDA the code takes branches the CPU never runs: GM's per-class gradients
under vmap, stacked evaluation, the ConvNet's layer-by-layer first block and
torch's pooling (the CPU fuses them), generators on the device, and
``engine.timed``'s synchronisation. Each test runs one small workload on both
devices, in fp32 with TF32 off (``precision: fp32``).

Tolerance: a distillation iteration's update of the images agrees within 1e-3
of its largest entry (float32 sums in another order, cuDNN's kernels); the
real batches, augmentations and expert draws are made the same on both
devices (whole classes, no DSA, one expert and start epoch), since CUDA
generators draw other numbers than the CPU's.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from ddlaws.data.datasets import load_split
from ddlaws.methods import get_method
from ddlaws.methods.common import synthetic_init
from ddlaws.nn.models import init_model
from ddlaws.runtime import precision
from ddlaws.train.stacked import Run, train_runs
from test_engine import ARCH, config
from test_gm_dm import dm_params, gm_params, killed_and_resumed
from test_mtt import EXPERT, mtt_params

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(),
                                 reason="needs a CUDA device (torch.cuda.is_available() is False)")]

UPDATE_TOLERANCE = 1e-3
NONE = {"type": "none"}


@pytest.fixture(scope="module")
def splits(digits_file):
    """The digits split on each device, its training set cut to 400 images (whole classes of ~40 are drawn)."""
    def cut(split):
        return dataclasses.replace(split, x_train=split.x_train[:400], y_train=split.y_train[:400])

    return {device: cut(load_split(digits_file, device)) for device in ("cpu", "cuda")}


@pytest.fixture(scope="module")
def one_expert(splits, tmp_path_factory):
    from ddlaws.atomic import save_tensors
    from ddlaws.train.experts import train_expert

    path = tmp_path_factory.mktemp("experts") / "expert0.pt"
    save_tensors(train_expert(splits["cpu"], {**EXPERT, "augment": NONE, "epochs": 2}, 0), path)
    return [path]


def one_iteration(method: str, one_expert) -> tuple[dict, int, dict]:
    """(params, ipc, inputs) of one iteration whose draws do not depend on the device."""
    if method == "dm":
        return dm_params(iterations=1, batch_real=1000, augment_spec=NONE), 2, {}
    if method == "gm":  # two outer steps, so the inner network steps run too
        return gm_params(iterations=1, batch_real=1000, augment_spec=NONE, loops={2: [2, 2]}), 2, {}
    return mtt_params(iterations=1, syn_steps=5, expert_epochs=1, max_start_epoch=1, augment_spec=NONE), 2, \
        {"experts": one_expert}


@pytest.mark.parametrize("method", ["dm", "gm", "mtt"])
def test_one_iteration_on_cuda_equals_the_cpu(splits, one_expert, method):
    params, ipc, inputs = one_iteration(method, one_expert)
    start = synthetic_init(splits["cpu"], ipc, params["init"], 0)[0]
    updates = {}
    for device, split in splits.items():
        with precision("fp32", device):
            updates[device] = get_method(method)(split, ipc, 0, params, **inputs)["images"].cpu() - start
    scale = updates["cpu"].abs().max()
    assert scale > 0
    assert (updates["cuda"] - updates["cpu"]).abs().max() <= UPDATE_TOLERANCE * scale


def test_stacked_evaluation_on_cuda_equals_one_at_a_time(splits):
    split = splits["cuda"]
    x, y = split.x_train[:150], split.y_train[:150]
    runs = [Run(config("sgd", "none"), 0), Run(config("sgd", "crop", lr=0.02), 1),
            Run(config("adam", "crop"), 2), Run(config("adam", "none"), 0)]
    with precision("fp32", "cuda"):
        stacked = train_runs(runs, x, y, split.x_test, split.y_test, 10, vectorize="always")
        single = train_runs(runs, x, y, split.x_test, split.y_test, 10, vectorize="never")
    assert all(r["vectorized"] for r in stacked) and not any(r["vectorized"] for r in single)
    for a, b in zip(stacked, single):
        assert a["test_loss"] == pytest.approx(b["test_loss"], rel=1e-3, abs=1e-4)
        assert a["test_acc"] == pytest.approx(b["test_acc"], abs=2 / len(split.y_test))


def test_a_resumed_distillation_on_cuda_equals_the_uninterrupted_one(splits, tmp_path, monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", True)
    whole, resumed = killed_and_resumed(splits["cuda"], dm_params(iterations=12), tmp_path, monkeypatch)
    assert torch.allclose(resumed["images"], whole["images"], rtol=1e-5, atol=1e-6)
    assert torch.allclose(resumed["loss_curve"], whole["loss_curve"], rtol=1e-5)


def test_the_convnet_on_cuda_computes_the_cpus_fused_first_block(splits):
    """CUDA runs the first block layer by layer with torch's pooling; the CPU fuses it."""
    net = init_model(ARCH, 1, 10, 8, 0)
    assert net.fused_first_block
    x, y = splits["cpu"].x_train[:64], splits["cpu"].y_train[:64]
    outputs = {}
    for device in ("cpu", "cuda"):
        model = net.to(device)
        with precision("fp32", device):
            logits = model(x.to(device))
            grads = torch.autograd.grad(F.cross_entropy(logits, y.to(device)), list(model.parameters()))
        outputs[device] = [logits.detach().cpu(), *(g.cpu() for g in grads)]
    for a, b in zip(outputs["cpu"], outputs["cuda"]):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5 * b.abs().max().item())
