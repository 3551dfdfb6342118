"""Distillation methods. Each takes the real data, k, a seed and its parameter
dict, and returns the synthetic set (images in normalised space, labels) plus
what it learned along the way (loss curve, an lr for MTT)."""

from __future__ import annotations

import importlib

METHODS = {
    "random": "ddlaws.methods.random_subset:distill_random",
    "gm": "ddlaws.methods.gm:distill_gm",
    "dm": "ddlaws.methods.dm:distill_dm",
    "mtt": "ddlaws.methods.mtt:distill_mtt",
}


def get_method(name: str):
    if name not in METHODS:
        raise KeyError(f"unknown method {name!r}; known: {sorted(METHODS)}")
    module, func = METHODS[name].split(":")
    return getattr(importlib.import_module(module), func)
