"""The model store: a change to the family trains only the models it touches, counted run by run."""

from __future__ import annotations

import logging

import pytest
import torch

from conftest import merged
from ddlaws.plan.configs import evaluation_family
from ddlaws.plan.model_store import entry_key, settings_of
from ddlaws.train import evaluation
from ddlaws.train.stored_evaluation import evaluate_with_store

SEEDS = [0, 1]
SETTINGS = {"code": "abc", "eval_seeds": SEEDS, "learned_lr": True, "soft_label": None,
            "convergence_tolerance": 0.005, "extensions": 0}


def family(arch=("mlp",), augment=("none",), optimizers: dict | None = None) -> dict:
    grid = {"arch": list(arch), "optimizer": ["sgd", "adam"], "augment": list(augment)}
    overrides = {"evaluation": {"epochs": 4, "min_steps": 0, "extensions": 0, "grid": grid}}
    return evaluation_family(merged({**overrides, **({"optimizers": optimizers} if optimizers else {})}))


def a_set(split, offset: int = 0) -> dict:
    picks = torch.cat([torch.nonzero(split.y_train == c).flatten()[offset:offset + 2] for c in range(10)])
    return {"dataset": "digits", "method": "mine", "ipc": 2, "seed": 0,
            "images": split.x_train[picks], "labels": split.y_train[picks], "lr": None}


@pytest.fixture
def trained_runs(monkeypatch):
    """The runs each call of the trainer gets, by configuration name."""
    calls = []
    train_runs = evaluation.train_runs

    def counted(runs, *args, **kwargs):
        calls.append([run.training["name"] for run in runs])
        return train_runs(runs, *args, **kwargs)

    monkeypatch.setattr(evaluation, "train_runs", counted)
    return calls


def evaluate(distilled, split, fam, store):
    return evaluate_with_store(distilled, split, fam, SEEDS, str(store), SETTINGS, vectorize="never")


def trained(calls) -> list[str]:
    names = sorted(name for call in calls for name in call)
    calls.clear()
    return names


def test_a_changed_family_trains_only_the_configurations_it_touches(digits, tmp_path, trained_runs, caplog):
    store, distilled = tmp_path / "store", a_set(digits)
    first = evaluate(distilled, digits, family(), store)
    assert trained(trained_runs) == ["mlp-adam-none"] * 2 + ["mlp-sgd-none"] * 2
    assert evaluate(distilled, digits, family(), store) == first and trained(trained_runs) == []

    # a configuration added: its models alone train, the others' rows are read back exactly
    with caplog.at_level(logging.INFO, logger="ddlaws.train.stored_evaluation"):
        grown = evaluate(distilled, digits, family(augment=("none", "crop")), store)
    assert trained(trained_runs) == ["mlp-adam-crop"] * 2 + ["mlp-sgd-crop"] * 2
    assert "4 of 8 models stored; training 4 (2 configurations x 2 eval seeds)" in caplog.text
    assert [row for row in grown if row["config"].endswith("-none")] == first
    assert [row["config"] for row in grown][::2] == list(family(augment=("none", "crop")))

    # one optimizer changed: only the configurations that use it train
    faster = family(augment=("none", "crop"), optimizers={"adam": {"type": "adam", "lr": 0.01}})
    changed = evaluate(distilled, digits, faster, store)
    assert trained(trained_runs) == ["mlp-adam-crop"] * 2 + ["mlp-adam-none"] * 2
    assert [row for row in changed if "sgd" in row["config"]] == [row for row in grown if "sgd" in row["config"]]

    # one removed: nothing trains, and the rows are the earlier ones without it
    smaller = {name: spec for name, spec in faster.items() if name != "mlp-sgd-crop"}
    assert evaluate(distilled, digits, smaller, store) == [row for row in changed if row["config"] != "mlp-sgd-crop"]
    assert trained(trained_runs) == []

    # the set distilled again, to other images: every model trains
    evaluate(a_set(digits, offset=2), digits, smaller, store)
    assert len(trained(trained_runs)) == 2 * len(smaller)


def test_a_failed_job_keeps_the_configurations_it_finished(digits, tmp_path, monkeypatch):
    """Each group of models (here the ConvNet's, then the MLP's) is stored as soon as it is trained."""
    store, distilled, fam = tmp_path / "store", a_set(digits), family(arch=("convnet", "mlp"))
    train_runs, calls = evaluation.train_runs, []

    def second_fails(runs, *args, **kwargs):
        calls.append({run.training["arch_name"] for run in runs})
        if len(calls) == 2:
            raise RuntimeError("killed")
        return train_runs(runs, *args, **kwargs)

    monkeypatch.setattr(evaluation, "train_runs", second_fails)
    with pytest.raises(RuntimeError, match="killed"):
        evaluate(distilled, digits, fam, store)
    assert sorted(path.name.rsplit("-", 1)[0] for path in store.iterdir()) == ["convnet-adam-none", "convnet-sgd-none"]
    rows = evaluate(distilled, digits, fam, store)
    assert calls == [{"convnet"}, {"mlp"}, {"mlp"}]
    assert [row["config"] for row in rows] == [name for name in fam for _ in SEEDS]


def test_an_entry_is_keyed_by_its_spec_and_every_setting_of_the_job():
    fam = family()
    key = entry_key(fam["mlp-sgd-none"], SETTINGS)
    assert key == entry_key(dict(reversed(list(fam["mlp-sgd-none"].items()))), dict(SETTINGS))  # canonical JSON
    assert key != entry_key(fam["mlp-adam-none"], SETTINGS)
    assert key != entry_key(fam["mlp-sgd-none"], {**SETTINGS, "eval_seeds": [0, 1, 2]})
    assert key != entry_key(fam["mlp-sgd-none"], {**SETTINGS, "code": "abd"})
    assert settings_of({**SETTINGS, "family": fam, "store": "results/eval_models/x"}) == SETTINGS
