"""The registry of distillation methods: everything the workflow needs about each.

A method is one module in this package that registers its ``distill`` function
with :func:`method`, declaring beside it what the Snakefile needs before any job
runs: the work and memory model of its jobs (for cluster requests), the
products of other stages it reads (MTT: the experts), whether it has a config
block of its own name, and any config check that the schema cannot express.
Nothing outside ``methods/`` names a method; the workflow asks the registry.
A plug-in (``plugins`` in the config, ``ddlaws.plan.plugins``) registers its
methods here too, from a module outside the package, and brings the schema of
its config block with it, as it cannot edit ours.

The registry is pure Python: the Snakefile imports it, and every method module
with it, at parse time (see ``ddlaws.deferred``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable

# What a method can ask the workflow for, beside the dataset: the name of the
# distill job's input and of the keyword its ``distill`` receives the files as.
INPUTS = ("experts",)


@dataclass(frozen=True)
class Job:
    """The size of one distill job, as its work and memory models see it."""

    classes: int
    ipc: int
    image_flops: float  # forward FLOPs of one image through the method's network (0 without one)


@dataclass(frozen=True)
class Method:
    name: str
    distill: Callable[..., dict]
    work: Callable[[dict, Job], tuple[float, float]]  # (FLOPs, optimizer steps) of one job
    batch: Callable[[dict, Job], int]  # images in flight at once, for the memory request
    inputs: tuple[str, ...] = ()
    configured: bool = True  # it has a config block (and a schema block) named after it
    check: Callable[[dict, str], None] | None = None  # (config, name in methods): ConfigError if it cannot run
    pooled: bool = False  # it can distil against a pool of configurations (``variants`` in the config)
    schema: dict | None = None  # the JSON schema of its config block, for a method outside the schema file

    @property
    def module(self) -> str:
        return self.distill.__module__

    @property
    def plugin_file(self) -> str | None:
        """The file of a plug-in's module; None for a method of this package, which
        provenance finds by its module name under the scripts' folder."""
        if self.module.startswith("ddlaws."):
            return None
        return sys.modules[self.module].__file__


METHODS: dict[str, Method] = {}


def method(name: str, *, work, batch, inputs: tuple[str, ...] = (), configured: bool = True, check=None,
           pooled: bool = False, schema: dict | None = None):
    """Register the decorated ``distill(split, ipc, seed, params, checkpointer, **inputs)`` as ``name``.

    ``distill`` returns ``{"images", "labels", "lr", "loss_curve"}``; ``params``
    is the method's config block for the job's dataset and IPC, with ``arch_spec``
    and ``augment_spec`` resolved (``ddlaws.plan.configs.method_params``). A
    ``pooled`` method also runs as pool variants: its params then carry the
    ``pool`` and its resolved ``pool_arch_specs``. ``schema``, the JSON schema
    of the method's config block with a default for every key, is for a plug-in:
    validation adds it to the config schema, where our methods' blocks are written.
    """
    unknown = set(inputs) - set(INPUTS)
    if unknown:
        raise ValueError(f"method {name!r}: unknown input(s) {sorted(unknown)}; the workflow provides {INPUTS}")

    def register(distill):
        if name in METHODS:
            raise ValueError(f"method {name!r} is registered twice: by {METHODS[name].module} and {distill.__module__}")
        METHODS[name] = Method(name, distill, work, batch, tuple(inputs), configured, check, pooled, schema)
        return distill

    return register


def get_method(name: str) -> Callable[..., dict]:
    """The ``distill`` function of method ``name``."""
    if name not in METHODS:
        raise KeyError(f"unknown method {name!r}; known: {sorted(METHODS)}")
    return METHODS[name].distill
