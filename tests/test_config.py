"""Config validation: defaults fill in, and each kind of bad input is rejected by key."""

import pytest

from ddlaws.plan.configs import ConfigError, evaluation_family, method_params, validate
from conftest import SCHEMA, merged


def test_default_config_is_valid_and_family_named():
    config = merged()
    family = evaluation_family(config)
    assert len(family) >= 8
    assert "convnet-sgd-none" in family
    cfg = family["mlp-adam-dsa"]
    assert cfg["arch"]["net"] == "mlp" and cfg["optimizer"]["type"] == "adam" and cfg["augment"]["type"] == "dsa"
    # min_steps per architecture: the default's MLP 1500, the ConvNet none beyond its epochs
    assert cfg["min_steps"] == 1500 and family["convnet-sgd-none"]["min_steps"] == 0
    assert evaluation_family(merged({"evaluation": {"min_steps": 7}}))["convnet-sgd-none"]["min_steps"] == 7


def test_minimal_config_gets_every_default():
    config = validate({}, SCHEMA)
    assert config["datasets"] == ["digits"] and config["methods"] == ["random"]
    assert config["evaluation"]["eval_seeds"] == [0, 1, 2]
    assert config["data"]["digits"]["test_fraction"] == 0.3
    assert config["laws"]["gap"] == "error"


@pytest.mark.parametrize("overrides, key", [
    ({"not_a_key": 1}, "not_a_key"),
    ({"evaluation": {"epochz": 3}}, "epochz"),
    ({"ipcs": "ten"}, "ipcs"),
    ({"evaluation": {"epochs": 2.5}}, "evaluation.epochs"),
    ({"ipcs": []}, "ipcs"),
    ({"seeds": []}, "seeds"),
    ({"ipcs": [0, 1]}, "ipcs.0"),
    ({"methods": ["random", "nope"]}, "methods.1"),
    ({"datasets": ["imagenet21k"]}, "datasets.0"),
    ({"evaluation": {"grid": {"arch": ["resnet9000"]}}}, "evaluation.grid.arch"),
    ({"evaluation": {"min_steps": {"resnet9000": 10}}}, "evaluation.min_steps.resnet9000"),
    ({"evaluation": {"min_steps": -1}}, "evaluation.min_steps"),
    ({"architectures": {"convnet": {"net": "convnet", "depth": 0}}}, "architectures.convnet.depth"),
    ({"architectures": {"tiny": {"net": "mlp", "depth": 2}}}, "architectures.tiny"),
    ({"data": {"local": {"digitz": "/x"}}}, "data.local"),
    # the default's IPC-16 MTT draws start epochs up to 11, plus 2: beyond experts of 10 epochs
    ({"experts": {"training": {"epochs": 10}}}, "mtt.max_start_epoch"),
    # a variant's own settings are checked, not only its method's
    ({"methods": ["random", "mtt_pool"], "variants": {"mtt_pool": {
        "method": "mtt", "pool": {"arch": ["convnet"]}, "set": {"expert_epochs": 14}}}},
     "variants.mtt_pool.set.max_start_epoch"),
])
def test_rejections_name_the_key(overrides, key):
    with pytest.raises(ConfigError) as err:
        merged(overrides)
    assert f"'{key}" in str(err.value)


def test_grid_extra_axes_and_named_configs():
    config = merged({"evaluation": {"grid": {"arch": ["mlp"], "optimizer": ["sgd"], "augment": ["none"],
                                             "lr": [0.01, 0.1]},
                                    "configs": {"big-batch": {"arch": "convnet", "optimizer": "adam",
                                                              "augment": "none", "batch": 512, "epochs": 7}}}})
    family = evaluation_family(config)
    assert list(family) == ["mlp-sgd-none-lr0.01", "mlp-sgd-none-lr0.1", "big-batch"]
    assert family["mlp-sgd-none-lr0.1"]["optimizer"]["lr"] == 0.1
    assert family["big-batch"]["batch"] == 512 and family["big-batch"]["epochs"] == 7


def test_method_overrides_apply_in_order():
    config = {"architectures": {"convnet": {"net": "convnet"}}, "augmentations": {},
              "gm": {"iterations": 10, "arch": "convnet",
                     "overrides": [{"ipcs": [1], "set": {"iterations": 20}},
                                   {"datasets": ["cifar10"], "ipcs": [1], "set": {"iterations": 30}}]}}
    assert method_params(config, "gm", "digits", 1)["iterations"] == 20
    assert method_params(config, "gm", "cifar10", 1)["iterations"] == 30
    assert method_params(config, "gm", "cifar10", 10)["iterations"] == 10
    assert method_params(config, "gm", "digits", 1)["arch_spec"] == {"net": "convnet"}
