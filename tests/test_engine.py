"""The training engine: deterministic per seed, it learns, and stacked training matches it."""

import math

import pytest
import torch

from ddlaws.data.augment import crop_flip
from ddlaws.nn.models import init_model
from ddlaws.plan.budget import check_windows, sized_epochs
from ddlaws.train.engine import evaluate, fit, make_generator
from ddlaws.train.stacked import Run, evaluate_many, fit_many, train_runs

ARCH = {"net": "convnet", "width": 8, "depth": 2}


def config(optimizer="sgd", augment="none", epochs=5, batch=64, lr=None):
    opt = {"type": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4} if optimizer == "sgd" else \
        {"type": "adam", "lr": 0.003, "weight_decay": 1e-4, "betas": [0.9, 0.999]}
    if lr:
        opt["lr"] = lr
    aug = {"type": "none"} if augment == "none" else {"type": "crop_flip", "pad": 1, "flip": True}
    return {"name": f"{optimizer}-{augment}", "arch_name": "convnet", "arch": ARCH, "optimizer": opt,
            "augment": aug, "epochs": epochs, "min_steps": 0, "batch": batch, "schedule": "step"}


def trained(digits, cfg, seed):
    model = init_model(cfg["arch"], 1, 10, 8, seed)
    fit(model, digits.x_train[:300], digits.y_train[:300], cfg, seed)
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_deterministic_for_a_seed(digits):
    cfg = config(augment="crop")
    a, b, c = trained(digits, cfg, 1), trained(digits, cfg, 1), trained(digits, cfg, 2)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_training_learns(digits):
    cfg = config(epochs=15)
    model = init_model(ARCH, 1, 10, 8, 0)
    before = evaluate(model, digits.x_test, digits.y_test)
    fit(model, digits.x_train, digits.y_train, cfg, 0)
    acc, loss = evaluate(model, digits.x_test, digits.y_test)
    assert loss < before[1] and acc > 0.85


def test_crop_flip_shape_and_content():
    x = torch.arange(2 * 16, dtype=torch.float32).view(2, 1, 4, 4)
    out = crop_flip(x, pad=0, flip=False, generator=make_generator(0, "cpu"))
    assert torch.equal(out, x)
    shifted = crop_flip(x, pad=1, flip=True, generator=make_generator(0, "cpu"))
    assert shifted.shape == x.shape
    # every output pixel is an input pixel of the same image or padding zero
    for i in range(2):
        assert set(shifted[i].flatten().tolist()) <= set(x[i].flatten().tolist()) | {0.0}


@pytest.mark.parametrize("n", [20, 150])
def test_stacked_training_matches_one_at_a_time(digits, n):
    """Vectorised (torch.func + vmap) runs reproduce sequential runs: mixed optimizers,
    augmentations, lrs and seeds in one group."""
    x, y = digits.x_train[:n], digits.y_train[:n]
    runs = [Run(config("sgd", "none"), 0), Run(config("sgd", "crop", lr=0.02), 1),
            Run(config("adam", "crop"), 2), Run(config("adam", "none"), 0), Run(config("sgd", "none"), 3, lr=0.01)]
    stacked = train_runs(runs, x, y, digits.x_test, digits.y_test, 10, vectorize="always")
    single = train_runs(runs, x, y, digits.x_test, digits.y_test, 10, vectorize="never")
    assert all(r["vectorized"] for r in stacked) and not any(r["vectorized"] for r in single)
    for a, b in zip(stacked, single):
        assert a["test_loss"] == pytest.approx(b["test_loss"], rel=1e-3, abs=1e-4)
        for name in ("test_acc", "check_test_acc", "end_test_acc"):  # the convergence check reads the same curve
            assert a[name] == pytest.approx(b[name], abs=2 / len(digits.y_test))
        assert a["check_epoch"] == b["check_epoch"] == 4


def test_stacked_test_pass_matches_one_model_at_a_time(digits):
    """The vmapped test pass (the CUDA path) and the per-model one (the CPU path) agree."""
    runs = [Run(config("sgd", "none"), seed) for seed in range(3)]
    template, params = fit_many(runs, digits.x_train[:40], digits.y_train[:40], 10)
    acc_s, loss_s = evaluate_many(template, params, digits.x_test, digits.y_test, 256, stacked=True)
    acc_1, loss_1 = evaluate_many(template, params, digits.x_test, digits.y_test, 256, stacked=False)
    assert torch.allclose(acc_s.cpu(), acc_1, atol=1 / len(digits.y_test))
    assert torch.allclose(loss_s.cpu(), loss_1, rtol=1e-4)
    assert len(set(loss_1.tolist())) == 3  # three different models


def test_a_reference_still_improving_is_told_from_a_converged_one(digits):
    from ddlaws.train.evaluation import evaluate_reference
    from ddlaws.laws.gaps import reference_convergence

    slow = {**config(epochs=4, batch=256, lr=0.002), "schedule": "none"}  # far from done after 4 epochs
    fast = {**config(epochs=40, batch=256), "name": "sgd-long"}
    rows = [row for cfg in (slow, fast) for row in evaluate_reference("digits", digits, cfg, [0])]
    assert [r["check_epoch"] for r in rows] == [3, 30]
    assert all(r["train_per_class"] == int(torch.bincount(digits.y_train).min()) for r in rows)
    import pandas as pd

    verdict = reference_convergence(pd.DataFrame(rows), 0.005).set_index("config")
    assert verdict.loc["sgd-none", "late_gain"] > 0.005 and not verdict.loc["sgd-none", "converged"]
    assert verdict.loc["sgd-long", "converged"] and verdict.loc["sgd-long", "test_acc"] > 0.9
    # the check only reads the curve: the model is the one a plain fit trains
    model = init_model(fast["arch"], 1, 10, 8, 0)
    fit(model, digits.x_train, digits.y_train, fast, 0)
    assert rows[1]["test_acc"] == evaluate(model, digits.x_test, digits.y_test)[0]


def test_the_check_windows_end_at_three_quarters_and_at_the_end():
    assert [list(w) for w in check_windows(300)] == [list(range(211, 226)), list(range(286, 301))]
    assert [list(w) for w in check_windows(4)] == [[3], [4]]
    assert [list(w) for w in check_windows(2)] == [[1], [2]]
    assert [list(w) for w in check_windows(1)] == [[], []]


def test_min_steps_raises_the_epochs_of_a_set_smaller_than_a_minibatch():
    cfg = {**config(epochs=60, batch=256), "min_steps": 300}
    assert sized_epochs(cfg, 10) == 300  # one step per epoch
    assert sized_epochs(cfg, 1000) == 75  # four steps per epoch
    assert sized_epochs(cfg, 100_000) == 60  # the epochs already take more steps
    assert sized_epochs({**cfg, "min_steps": 0}, 10) == 60


def test_the_convergence_check_fails_on_a_one_epoch_budget(digits):
    """A one-epoch run has no reading before its end: its check cannot be made, and it counts as not converged."""
    import pandas as pd

    from ddlaws.laws.gaps import KEYS, convergence, reference_convergence
    from ddlaws.train.evaluation import evaluate_distilled, evaluate_reference

    short = {**config(epochs=1, batch=256), "name": "sgd-short"}
    long = {**config(epochs=1, batch=256), "name": "sgd-long", "min_steps": 200}
    x, y = digits.x_train[:20], digits.y_train[:20]
    distilled = {"images": x, "labels": y, "dataset": "digits", "method": "m", "ipc": 2, "seed": 0}
    rows = pd.DataFrame(evaluate_distilled(distilled, digits, {"sgd-short": short, "sgd-long": long}, [0, 1]))
    verdict = convergence(rows, KEYS, 0.005).set_index("config")
    assert rows.groupby("config")["epochs"].first().to_dict() == {"sgd-short": 1, "sgd-long": 200}
    assert math.isnan(verdict.loc["sgd-short", "late_gain"]) and not verdict.loc["sgd-short", "converged"]
    assert verdict.loc["sgd-long", "check_epoch"] == 150 and verdict.loc["sgd-long", "converged"]
    reference = reference_convergence(pd.DataFrame(evaluate_reference("digits", digits, short, [0])), 0.005)
    assert not reference["converged"].any() and reference["late_gain"].isna().all()


def test_a_configuration_that_fails_its_check_trains_again_for_twice_the_epochs(digits, caplog):
    """Where the check fails, the evaluate job trains the configuration again, and only that one; the rows say so."""
    import logging

    import pandas as pd

    from ddlaws.laws.gaps import KEYS, convergence
    from ddlaws.train.evaluation import evaluate_distilled

    short = {**config(epochs=4, batch=256), "name": "sgd-short"}  # 4 steps: far from converged
    settled = {**config(epochs=4, batch=256), "name": "sgd-settled", "min_steps": 200}
    x, y = digits.x_train[:20], digits.y_train[:20]
    distilled = {"images": x, "labels": y, "dataset": "digits", "method": "m", "ipc": 2, "seed": 0}
    family = {"sgd-short": short, "sgd-settled": settled}
    once = pd.DataFrame(evaluate_distilled(distilled, digits, family, [0, 1]))
    assert not convergence(once, KEYS, 0.005).set_index("config").loc["sgd-short", "converged"]
    with caplog.at_level(logging.INFO, logger="ddlaws.train.evaluation"):
        rows = pd.DataFrame(evaluate_distilled(distilled, digits, family, [0, 1], extensions=2))
    per_config = rows.groupby("config")[["epochs", "extensions"]].first()
    assert per_config.loc["sgd-settled"].tolist() == [200, 0]  # converged at once: trained once
    assert per_config.loc["sgd-short", "extensions"] >= 1
    assert per_config.loc["sgd-short", "epochs"] == 4 * 2 ** per_config.loc["sgd-short", "extensions"]
    assert "sgd-short rose" in caplog.text and "sgd-settled" not in caplog.text
    settled_rows = rows[rows["config"] == "sgd-settled"].reset_index(drop=True)
    pd.testing.assert_series_equal(settled_rows["test_acc"], once[once["config"] == "sgd-settled"]
                                   .reset_index(drop=True)["test_acc"])
    assert len(rows) == len(once) == 4 and list(rows["config"]) == list(once["config"])
