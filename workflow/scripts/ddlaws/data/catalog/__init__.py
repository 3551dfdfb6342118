"""The datasets the workflow knows, one module each (``ddlaws.data.registry``).

Every module of this package is imported here, so a dataset module registers
itself by being in the folder; see the README, "Bringing your own dataset".
"""

from __future__ import annotations

import importlib
import pkgutil

from ..registry import DATASETS

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["DATASETS"]
