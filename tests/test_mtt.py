"""Trajectory matching: experts improve, the lean unroll equals the plain one, the
learned lr is guarded and saved, and evaluation trains with it."""

import pytest
import torch

from ddlaws.atomic import save_tensors
from ddlaws.data import dsa
from ddlaws.methods.common import synthetic_init
from ddlaws.methods.mtt import Student, distill_mtt, unroll_lean, unroll_plain
from ddlaws.nn.models import init_model
from ddlaws.train.engine import make_generator
from ddlaws.train.evaluation import evaluate_distilled
from ddlaws.train.experts import ExpertBank, disk_bytes, train_expert
from conftest import merged
from test_gm_dm import mean_accuracy

ARCH = merged()["architectures"]["convnet"]
DSA = {"type": "dsa", "strategy": "crop_scale_rotate"}
# experts that converge, so that late trajectory segments teach the final accuracy
EXPERT = {"name": "e", "arch_name": "convnet", "arch": ARCH,
          "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.0, "weight_decay": 0.0},
          "augment": DSA, "epochs": 15, "min_steps": 0, "batch": 64, "schedule": "none"}


@pytest.fixture(scope="module")
def experts(digits, tmp_path_factory):
    folder = tmp_path_factory.mktemp("experts")
    paths = []
    for i in range(4):
        record = train_expert(digits, EXPERT, i)
        save_tensors(record, folder / f"expert{i}.pt")
        paths.append(folder / f"expert{i}.pt")
    return paths


def mtt_params(**kw):
    params = {"iterations": 30, "syn_steps": 20, "expert_epochs": 2, "max_start_epoch": 12, "lr_img": 30.0,
              "lr_lr": 1e-5, "lr_teacher": 0.1, "momentum": 0.5, "batch_syn": None, "init": "real",
              "arch_spec": ARCH, "augment_spec": DSA, "memory": "plain", "lr_guard_factor": 100,
              "soft_labels": False, "lr_label": 10.0}
    params.update(kw)
    return params


def test_experts_improve_and_record_every_epoch(experts):
    bank = ExpertBank(experts)
    for record in bank.records:
        acc = record["test_acc"]
        assert len(acc) == EXPERT["epochs"] + 1 and record["trajectory"].shape == (16, record["num_params"])
        assert acc[-3:].mean() > acc[0] + 0.5 and acc[-3:].mean() > 0.9
    assert disk_bytes(record["num_params"], 15) == record["trajectory"].numel() * 4


@pytest.mark.parametrize("aug", [{"type": "none"}, {"type": "dsa", "strategy": "crop_scale_rotate"}])
@pytest.mark.parametrize("steps", [1, 5, 7])
@pytest.mark.parametrize("learned_labels", [False, True])
def test_lean_unroll_has_the_plain_gradients(digits, experts, aug, steps, learned_labels):
    """For the images and the lr, and with learned soft labels for their logits too."""
    bank = ExpertBank(experts)
    student = Student(init_model(ARCH, 1, 10, 8, 0))
    theta0, target = bank.segment(0, 1, 3, "cpu")
    grads = []
    for unroll in (unroll_plain, unroll_lean):
        images, labels = synthetic_init(digits, 3, "real", 0)
        images.requires_grad_(True)
        logits = (torch.eye(10)[labels] * 3).requires_grad_(True)
        targets = torch.softmax(logits, 1) if learned_labels else labels
        lr = torch.tensor(0.05, requires_grad=True)
        gen = make_generator(0, "cpu")
        plans = []
        for _ in range(steps):
            idx = torch.randperm(len(images), generator=gen)[:20]
            plans.append((idx, dsa.draw(aug, 20, 8, gen) if aug["type"] == "dsa" else None))
        loss = unroll(student, theta0, target, images, targets, lr, plans, aug)
        if unroll is unroll_plain:
            loss.backward()
        label_grad = logits.grad.clone() if learned_labels else torch.zeros(1)
        grads.append((loss.item(), images.grad.clone(), lr.grad.clone(), label_grad))
    (l1, g1, r1, y1), (l2, g2, r2, y2) = grads
    assert l1 == pytest.approx(l2, rel=1e-5)
    assert torch.allclose(g1, g2, rtol=1e-4, atol=1e-7 * g1.abs().max().item())
    assert r1.item() == pytest.approx(r2.item(), rel=1e-4)
    assert (y1.abs().max() > 0) == learned_labels
    assert torch.allclose(y1, y2, rtol=1e-4, atol=1e-6 * y1.abs().max().item())


@pytest.fixture(scope="module")
def mtt_sets(digits, experts):
    # IPC 1 matches early segments only (T+ = 2, as the published IPC-1 settings)
    budgets = {1: {"max_start_epoch": 2}, 10: {"iterations": 60}}
    return {ipc: distill_mtt(digits, ipc, 0, mtt_params(**budgets[ipc]), experts=experts) for ipc in (1, 10)}


def test_loss_decreases_and_lr_is_learned(mtt_sets):
    curve = mtt_sets[1]["loss_curve"]
    assert curve[-10:].mean() < curve[:10].mean()
    assert mtt_sets[1]["lr"] != pytest.approx(0.1, rel=1e-9) and mtt_sets[1]["lr"] > 0


@pytest.mark.parametrize("ipc", [1, 10])
def test_beats_random(digits, mtt_sets, ipc):
    from ddlaws.methods import get_method

    random = get_method("random")(digits, ipc, 0, {})
    ours = mtt_sets[ipc]
    assert mean_accuracy(digits, ours["images"], ours["labels"]) > mean_accuracy(digits, random["images"],
                                                                                 random["labels"])


def test_lr_guard_names_iteration_and_value(digits, experts):
    with pytest.raises(FloatingPointError, match=r"learned lr became .* at iteration \d+"):
        distill_mtt(digits, 1, 0, mtt_params(iterations=20, syn_steps=4, lr_lr=1e3), experts=experts)


def test_evaluation_uses_the_learned_lr(digits, mtt_sets):
    record = {"dataset": "digits", "method": "mtt", "ipc": 1, "seed": 0, **mtt_sets[1]}
    family = {"sgd": {**EXPERT, "name": "sgd", "epochs": 2, "optimizer": {"type": "sgd", "lr": 0.01}},
              "adam": {**EXPERT, "name": "adam", "epochs": 2, "optimizer": {"type": "adam", "lr": 0.003}}}
    rows = {r["config"]: r for r in evaluate_distilled(record, digits, family, [0])}
    assert rows["sgd"]["lr"] == pytest.approx(record["lr"]) and rows["adam"]["lr"] == 0.003
    rows = {r["config"]: r for r in evaluate_distilled(record, digits, family, [0], use_learned_lr=False)}
    assert rows["sgd"]["lr"] == 0.01


def test_learned_soft_labels_move_from_the_experts_predictions_and_evaluate_as_soft(digits, experts):
    params = mtt_params(iterations=20, max_start_epoch=2, soft_labels=True, memory="lean")
    result = distill_mtt(digits, 1, 0, params, experts=experts)
    soft = result["soft_labels"]
    assert soft.shape == (10, 10) and torch.allclose(soft.sum(1), torch.ones(10))
    bank = ExpertBank(experts)
    student = Student(init_model(ARCH, 1, 10, 8, 0))
    images, _ = synthetic_init(digits, 1, "real", 0)
    start = torch.softmax(student.logits(bank.segment(0, bank.epochs, bank.epochs, "cpu")[1], images), 1)
    assert (soft - start).abs().max() > 1e-4  # learned, not left at the experts' predictions
    hard = distill_mtt(digits, 1, 0, mtt_params(iterations=20, max_start_epoch=2, memory="lean"), experts=experts)
    assert "soft_labels" not in hard
    record = {"dataset": "digits", "method": "mtt", "ipc": 1, "seed": 0, **result}
    family = {"adam": {**EXPERT, "name": "adam", "epochs": 5, "augment": {"type": "none"},
                       "optimizer": {"type": "adam", "lr": 0.003}}}
    rows = evaluate_distilled(record, digits, family, [0], soft_label={"loss": "kl", "temperature": 2.0})
    assert rows[0]["label_regime"] == "soft" and rows[0]["test_acc"] > 0.3
