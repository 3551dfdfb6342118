"""One source for every option list: the schema's names and options agree with
the tables of ddlaws.plan.options, and the builders accept exactly those."""

from __future__ import annotations

import pytest
import yaml

from conftest import SCHEMA
from ddlaws.data import dsa
from ddlaws.nn import models
from ddlaws.plan.options import AUGMENTATIONS, NETS, OPTIMIZERS, augmentation_options, net_options

DEFS = yaml.safe_load(SCHEMA.read_text())["$defs"]


def options(table: dict) -> set[str]:
    return set().union(*(set(opts) for opts in table.values()))


@pytest.mark.parametrize("kind, key, table", [("architecture", "net", NETS), ("augmentation", "type", AUGMENTATIONS),
                                              ("optimizer", "type", OPTIMIZERS)])
def test_the_schema_lists_the_names_and_options_of_the_tables(kind, key, table):
    properties = DEFS[kind]["properties"]
    assert properties[key]["enum"] == list(table)
    assert set(properties) - {key} == options(table)


def test_the_schema_lists_the_layer_choices_the_models_build():
    properties = DEFS["architecture"]["properties"]
    assert properties["norm"]["enum"] == list(models.NORMS)
    assert properties["activation"]["enum"] == list(models.ACTIVATIONS)
    assert properties["pooling"]["enum"] == list(models.POOLINGS)
    # every default is one of the choices
    for opts in NETS.values():
        for key, choices in (("norm", models.NORMS), ("activation", models.ACTIVATIONS), ("pooling", models.POOLINGS),
                             ("downsample", properties["downsample"]["enum"])):
            assert opts.get(key, choices[0]) in choices


@pytest.mark.parametrize("net", list(NETS))
def test_every_net_builds_from_its_name_alone(net):
    model = models.build_model({"net": net}, 3, 10, 32)
    assert model(__import__("torch").zeros(2, 3, 32, 32)).shape == (2, 10)


def test_defaults_fill_only_what_a_spec_leaves_out():
    assert net_options({"net": "convnet", "width": 32}) == {**NETS["convnet"], "width": 32}
    assert dsa.settings({"type": "dsa", "rotate": 5.0}) == {**AUGMENTATIONS["dsa"], "rotate": 5.0}
    assert augmentation_options({"type": "crop_flip"}) == {"pad": 4, "flip": True}
