"""Soft labels: the soft-label loss, and its one-hot case equal to the hard loss."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from conftest import merged
from ddlaws.nn.microbatch import label_loss, soft_targets
from ddlaws.plan.configs import evaluation_family
from ddlaws.train.evaluation import evaluate_distilled
from ddlaws.train.stacked import Run, train_runs


def family(arch: str = "mlp") -> dict:
    grid = {"arch": [arch], "optimizer": ["sgd", "adam"], "augment": ["none", "dsa"]}
    config = merged({"evaluation": {"epochs": 5, "min_steps": 0, "extensions": 0, "grid": grid}})
    return evaluation_family(config)


def a_set(split, per_class: int = 3) -> dict:
    generator = torch.Generator().manual_seed(0)
    picks = torch.cat([torch.nonzero(split.y_train == c).flatten()[
        torch.randperm(int((split.y_train == c).sum()), generator=generator)[:per_class]] for c in range(10)])
    return {"dataset": "digits", "method": "mine", "ipc": per_class, "seed": 0,
            "images": split.x_train[picks], "labels": split.y_train[picks], "lr": None}


@pytest.mark.parametrize("vectorize", ["never", "always"])
def test_one_hot_soft_labels_train_exactly_as_the_hard_labels(digits, vectorize):
    hard = a_set(digits)
    soft = {**hard, "soft_labels": F.one_hot(hard["labels"], 10).float()}
    rows_hard = evaluate_distilled(hard, digits, family(), [0, 1], vectorize=vectorize)
    rows_soft = evaluate_distilled(soft, digits, family(), [0, 1], vectorize=vectorize,
                                   soft_label={"loss": "ce"})
    assert {r["label_regime"] for r in rows_hard} == {"hard"}
    assert {r["label_regime"] for r in rows_soft} == {"soft"}
    for h, s in zip(rows_hard, rows_soft):
        assert (h["config"], h["eval_seed"]) == (s["config"], s["eval_seed"])
        assert s["test_acc"] == h["test_acc"]
        assert s["test_loss"] == pytest.approx(h["test_loss"], rel=1e-5)


def test_kl_at_temperature_one_has_the_gradient_of_the_cross_entropy():
    torch.manual_seed(0)
    logits = torch.randn(6, 10, requires_grad=True)
    p = torch.softmax(torch.randn(6, 10), -1)
    (g_ce,) = torch.autograd.grad(label_loss(logits, p, {"loss": "ce"}), logits)
    kl = {"loss": "kl", "temperature": 1.0}
    (g_kl,) = torch.autograd.grad(label_loss(logits, soft_targets(p, kl), kl), logits)
    assert torch.allclose(g_ce, g_kl, atol=1e-6)


def test_kl_targets_are_the_teacher_logits_at_temperature_and_the_loss_is_zero_at_the_teacher():
    torch.manual_seed(1)
    teacher = torch.randn(5, 10)
    kl = {"loss": "kl", "temperature": 4.0}
    targets = soft_targets(torch.softmax(teacher, -1), kl)
    assert torch.allclose(targets, torch.softmax(teacher / 4.0, -1), atol=1e-6)
    assert label_loss(teacher, targets, kl).item() == pytest.approx(0.0, abs=1e-5)
    assert label_loss(teacher + torch.randn(5, 10), targets, kl).item() > 1e-3


def test_a_set_trained_on_soft_labels_learns_them(digits):
    """Soft targets that point every image at one class make the model predict that class."""
    hard = a_set(digits, per_class=5)
    target = torch.full((50, 10), 0.02)
    target[:, 3] = 0.82
    training = next(iter(family().values()))
    for soft in ({"loss": "ce"}, {"loss": "kl", "temperature": 2.0}):
        run = Run({**training, "epochs": 30, "soft_label": soft}, 0)
        result = train_runs([run], hard["images"], soft_targets(target, soft), digits.x_test,
                            digits.y_test, 10, vectorize="never")[0]
        assert result["test_acc"] == pytest.approx((digits.y_test == 3).float().mean().item(), abs=0.02)


def test_a_soft_set_without_the_soft_loss_is_refused(digits):
    soft = {**a_set(digits), "soft_labels": torch.full((30, 10), 0.1)}
    with pytest.raises(ValueError, match="carries soft labels"):
        evaluate_distilled(soft, digits, family(), [0])
