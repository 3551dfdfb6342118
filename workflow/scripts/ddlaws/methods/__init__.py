"""Distillation methods. Each takes the real data, k, a seed and its parameter
dict, and returns the synthetic set (images in normalised space, labels) plus
what it learned along the way (loss curve, an lr for MTT).

Every module of this package is imported here, so a method module registers
itself (``registry.method``) by being in the folder; see the README, "Adding a
distillation method".
"""

from __future__ import annotations

import importlib
import pkgutil

from .registry import METHODS, get_method

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["METHODS", "get_method"]
