"""Modules imported on first use, so that a method module is cheap to import.

A method module is read twice: by the Snakefile at parse time, for what its
jobs need (work model, inputs, config checks), and by its distill job, for the
algorithm. The parse runs on a cluster's login node and again in every job, so
it must not pay for torch. Method modules therefore name torch, and the parts of
ddlaws built on it, through ``deferred``: the module is imported at the first
attribute access, and every later access is a plain lookup.

A deferred ddlaws module is named by its full dotted path, which
``ddlaws.plan.provenance`` follows like an import.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class Deferred:
    """Stands in for the module ``name`` until an attribute of it is needed."""

    def __init__(self, name: str):
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<deferred module {self._name!r}>"


def deferred(name: str) -> Deferred:
    return Deferred(name)
