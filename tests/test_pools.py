"""Pool variants: reproducible draws, a pool of one is the plain method bit for bit, every pool member is
used, MTT's students take their experts' architectures, and the config names variants as methods."""

import copy
from collections import Counter

import pandas as pd
import pytest
import torch

from ddlaws.atomic import save_tensors
from ddlaws.methods import get_method
from ddlaws.methods.common import pool_architecture
from ddlaws.methods.mtt import expert_students
from ddlaws.nn import models
from ddlaws.plan.configs import ConfigError, base_method, method_params, pool_membership
from ddlaws.train.experts import ExpertBank, train_expert
from conftest import merged
from test_gm_dm import dm_params, gm_params
from test_mtt import EXPERT, mtt_params

CONFIG = merged()
SPECS = {name: dict(CONFIG["architectures"][name]) for name in ("convnet", "mlp")}


def pooled(params: dict, *names: str) -> dict:
    return {**params, "pool": {"arch": list(names)}, "pool_arch_specs": {n: SPECS[n] for n in names}}


def test_pool_draws_are_reproducible_and_depend_on_seed_and_iteration():
    p = pooled(dm_params(), "convnet", "mlp")
    first = [pool_architecture(p, 0, it)[0] for it in range(200)]
    assert first == [pool_architecture(p, 0, it)[0] for it in range(200)]
    assert first != [pool_architecture(p, 1, it)[0] for it in range(200)]
    assert 70 < Counter(first)["mlp"] < 130
    assert pool_architecture(dm_params(), 0, 3) == (None, dm_params()["arch_spec"])


@pytest.mark.parametrize("method, params", [("dm", dm_params(iterations=6)), ("gm", gm_params(iterations=2))])
def test_a_pool_of_one_is_the_plain_method_bit_for_bit(digits, method, params):
    plain = get_method(method)(digits, 2, 0, params)
    one = get_method(method)(digits, 2, 0, pooled(params, "convnet"))
    assert torch.equal(plain["images"], one["images"])
    assert torch.equal(torch.as_tensor(plain["loss_curve"]), torch.as_tensor(one["loss_curve"]))
    two = get_method(method)(digits, 2, 0, pooled(params, "convnet", "mlp"))
    assert not torch.equal(plain["images"], two["images"])


# DM at lr_img 1: at its ConvNet lr (10) the MLP member blows the images up (methods.common.Diverged)
@pytest.mark.parametrize("method, params", [("dm", dm_params(iterations=40, lr_img=1.0)),
                                            ("gm", gm_params(iterations=6))])
def test_every_pool_member_trains_the_images(digits, monkeypatch, method, params):
    used = []
    real_init = models.init_model

    def counting(spec, *args, **kwargs):
        used.append(spec["net"])
        return real_init(spec, *args, **kwargs)

    monkeypatch.setattr(models, "init_model", counting)
    get_method(method)(digits, 1, 0, pooled(params, "convnet", "mlp"))
    drawn = Counter(pool_architecture(pooled(params, "convnet", "mlp"), 0, it)[1]["net"]
                    for it in range(params["iterations"]))
    assert Counter(used) == drawn and set(drawn) == {"convnet", "mlp"}


def test_mtt_students_take_their_experts_architectures(digits, tmp_path):
    paths = []
    for i, name in enumerate(("convnet", "mlp")):
        training = {**EXPERT, "name": name, "arch_name": name, "arch": SPECS[name], "epochs": 3}
        save_tensors(train_expert(digits, training, i), tmp_path / f"{name}.pt")
        paths.append(tmp_path / f"{name}.pt")
    bank = ExpertBank(paths)
    params = pooled(mtt_params(iterations=4, syn_steps=3, max_start_epoch=2, expert_epochs=1), "convnet", "mlp")
    students = expert_students(bank, params, 1, 10, 8, "cpu")
    assert [sum(s.sizes) for s in students] == [r["num_params"] for r in bank.records]
    assert students[0].sizes != students[1].sizes
    with pytest.raises(ValueError, match="another architecture than mtt.arch"):
        expert_students(bank, mtt_params(), 1, 10, 8, "cpu")  # a plain run with an MLP expert
    result = get_method("mtt")(digits, 1, 0, params, experts=paths)
    assert torch.isfinite(result["images"]).all() and len(result["loss_curve"]) == 4
    one = get_method("mtt")(digits, 1, 0, pooled(params, "convnet"), experts=paths[:1])
    plain = get_method("mtt")(digits, 1, 0, mtt_params(iterations=4, syn_steps=3, max_start_epoch=2,
                                                       expert_epochs=1, arch_spec=SPECS["convnet"]),
                              experts=paths[:1])
    assert torch.equal(one["images"], plain["images"]) and one["lr"] == plain["lr"]


def config_with(**variants) -> dict:
    config = copy.deepcopy(CONFIG)
    config["variants"] = variants
    config["methods"] = ["dm", "mtt", *variants]
    return merged(base=config)


def test_variants_are_methods_with_their_own_params_and_pool_membership():
    config = config_with(dm_pool={"method": "dm", "pool": {"arch": ["convnet", "mlp"]}, "set": {"lr_img": 1.0}},
                         mtt_pool={"method": "mtt", "pool": {"arch": ["convnet", "mlp"]}})
    assert base_method(config, "dm_pool") == "dm" and base_method(config, "dm") == "dm"
    p = method_params(config, "dm_pool", "digits", 1)
    assert p["lr_img"] == 1.0 and set(p["pool_arch_specs"]) == {"convnet", "mlp"}
    assert method_params(config, "dm", "digits", 1)["lr_img"] == CONFIG["dm"]["lr_img"]
    trainings = [t["name"] for t in method_params(config, "mtt_pool", "digits", 1)["experts"]["trainings"]]
    assert len(trainings) == 2 and trainings[0].startswith("convnet-") and trainings[1].startswith("mlp-")
    membership = pool_membership(config)
    assert set(membership) == {"dm_pool", "mtt_pool"} and membership["dm_pool"]["method"] == "dm"
    assert membership["dm_pool"]["in_pool"] and all(c.split("-")[0] in ("convnet", "mlp")
                                                    for c in membership["dm_pool"]["in_pool"])


def test_a_variants_set_wins_over_its_methods_overrides():
    config = merged({"dm": {"overrides": [{"ipcs": [2], "set": {"lr_img": 5.0}}]},
                     "variants": {"dm_pool": {"method": "dm", "pool": {"arch": ["convnet"]}, "set": {"lr_img": 1.0}}}})
    assert [method_params(config, "dm", "digits", k)["lr_img"] for k in (1, 2)] == [CONFIG["dm"]["lr_img"], 5.0]
    assert [method_params(config, "dm_pool", "digits", k)["lr_img"] for k in (1, 2)] == [1.0, 1.0]


def test_the_default_family_holds_configurations_outside_the_default_pool():
    membership = pool_membership(CONFIG)["dm_pool"]
    family = set(CONFIG["evaluation"]["grid"]["arch"])
    assert "mlp" in family and "mlp" not in CONFIG["variants"]["dm_pool"]["pool"]["arch"]
    assert len(membership["in_pool"]) == 4  # the ConvNet × 2 optimizers × 2 augmentations; the MLP's 4 are out


@pytest.mark.parametrize("variant, message", [
    ({"method": "random", "pool": {"arch": ["convnet"]}}, "cannot distil against a pool"),
    ({"method": "dm", "pool": {"arch": ["resnet"]}}, "'variants.v.pool.arch'"),
    ({"method": "dm", "pool": {"arch": ["convnet"]}, "set": {"lr_imgg": 1.0}}, r"'variants.v.set': Additional"),
    ({"method": "dm", "pool": {"arch": ["convnet"]}, "set": {"lr_img": -1}}, r"'variants.v.set'"),
    ({"method": "dm", "pool": {"arch": ["convnet"]}, "set": {"arch": "resnet"}}, "'variants.v.set.arch'"),
])
def test_bad_variants_are_refused_naming_the_key(variant, message):
    with pytest.raises(ConfigError, match=message):
        config_with(v=variant)


def test_a_variant_may_not_take_a_methods_name():
    with pytest.raises(ConfigError, match="registered method's"):
        config_with(gm={"method": "dm", "pool": {"arch": ["convnet"]}})


def test_robustness_table_finds_a_pool_that_lowers_the_gap_outside_it():
    import numpy as np

    from ddlaws.laws.robustness import robustness_table
    from test_calibration import CONFIGS, measured_gaps

    rng = np.random.default_rng(5)
    floors, slopes = np.full(CONFIGS, 0.02), np.linspace(0.2, 0.4, CONFIGS)
    inside = [f"c{a}" for a in range(CONFIGS // 2)]
    plain = measured_gaps(rng, floors, slopes)
    better = slopes.copy()
    better[CONFIGS // 2:] -= 0.1  # the pool helps the configurations outside it: Δ lower by 0.1/√k
    pool = measured_gaps(rng, floors, better).assign(method="m_pool")
    table = robustness_table(pd.concat([plain, pool]), {"m_pool": {"method": "m", "in_pool": inside}},
                             resamples=300)
    overall = table[table["ipc"] == 0].iloc[0]
    assert overall["in_pool"] == " ".join(inside)
    expected = -0.1 * np.mean([k ** -0.5 for k in (1, 2, 4, 8, 16)])
    assert overall["worst_out_of_pool_diff"] == pytest.approx(expected, abs=0.02)
    assert overall["worst_out_of_pool_diff_ci_high"] < 0 and overall["worst_diff_ci_high"] < 0
    assert overall["worst_in_pool_diff_ci_low"] < 0 < overall["worst_in_pool_diff_ci_high"]
    assert overall["coverage_coef_diff"] < 0  # the worst configurations improved most: the spread shrank
    assert set(table["ipc"]) == {0, 1, 2, 4, 8, 16}


def test_every_robustness_point_lies_inside_its_interval_where_the_configurations_are_alike():
    """The worst Δ over equal configurations is a max of noise: biased up, so read bias-corrected. Read raw, it
    fell outside its interval 4 times over these 8 tables."""
    import numpy as np

    from ddlaws.laws.robustness import robustness_table
    from test_calibration import CONFIGS, measured_gaps

    floors, slopes = np.full(CONFIGS, 0.02), np.full(CONFIGS, 0.3)
    inside = {"m_pool": {"method": "m", "in_pool": [f"c{a}" for a in range(CONFIGS // 2)]}}
    for seed in range(8):
        rng = np.random.default_rng(seed)
        gaps = pd.concat([measured_gaps(rng, floors, slopes, set_effect=0.005),
                          measured_gaps(rng, floors, slopes, set_effect=0.005).assign(method="m_pool")])
        table = robustness_table(gaps, inside, resamples=200)
        columns = [c for c in table.columns if f"{c}_ci_low" in table.columns]
        assert len(columns) == 3 * 5  # plain, pool and their difference, of the four gaps and c
        for column in columns:
            rows = table[[column, f"{column}_ci_low", f"{column}_ci_high"]].dropna()
            assert len(rows), column
            outside = rows[(rows[column] < rows[f"{column}_ci_low"]) | (rows[column] > rows[f"{column}_ci_high"])]
            assert outside.empty, (seed, column, outside)
