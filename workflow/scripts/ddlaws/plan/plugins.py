"""Plug-ins: modules outside this package that register methods or datasets with our registries.

``plugins`` in the config lists them, each a module name (imported from the
import path) or a ``.py`` file (relative to the working directory, Snakemake's
``--directory``). Their methods then run like ours, with our evaluation,
checkpoints, resources and re-runs, and their datasets like our catalog's. The
Snakefile loads them before it validates the config, as a plug-in's method or
dataset may bring its config block's schema and its name; every job that looks
a method or a dataset up loads them again, in its own process.

Loading is idempotent: the Snakefile, a job and the tests may load the same
list in one process. Like the method modules, this imports no torch.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from pathlib import Path

from ..data.catalog import DATASETS
from ..methods import METHODS
from .options import ConfigError

REGISTRIES = (METHODS, DATASETS)

# The entries loaded in this process: module names, and files' resolved paths.
_LOADED: set[str] = set()


def load_plugins(entries) -> None:
    """Import every entry of the config's ``plugins``; a ConfigError names the entry that failed and why.

    This runs before the schema has checked the config, so it checks the shape of what it reads itself.
    """
    if not isinstance(entries, list):
        raise ConfigError("config key 'plugins': a list of module names or .py files is required")
    for i, entry in enumerate(entries):
        where = f"config key 'plugins.{i}' ({entry!r})"
        if not isinstance(entry, str) or not entry:
            raise ConfigError(f"{where}: a module name or a .py file is required")
        _load(entry, where)


def _load(entry: str, where: str) -> None:
    is_file = entry.endswith(".py")
    path = Path(entry).resolve() if is_file else None
    key = str(path) if is_file else entry
    if key in _LOADED:
        return
    if is_file and not path.is_file():
        raise ConfigError(f"{where}: no such file {str(path)!r} (a relative path is taken from the working "
                          f"directory, {str(Path.cwd())!r})")
    before = [set(registry) for registry in REGISTRIES]
    try:
        if is_file:
            _import_file(path)
        else:
            importlib.import_module(entry)
    except Exception as err:
        for registry, names in zip(REGISTRIES, before):  # a plug-in that failed half-way leaves nothing registered
            for name in set(registry) - names:
                del registry[name]
        raise ConfigError(f"{where}: importing it failed: {type(err).__name__}: {err}") from err
    if [set(registry) for registry in REGISTRIES] == before:
        raise ConfigError(f"{where}: it registers no method or dataset (a plug-in registers its methods with "
                          "ddlaws.methods.registry.method, its datasets with ddlaws.data.registry.dataset)")
    _LOADED.add(key)


def _import_file(path: Path) -> None:
    """Import a file as a module of its own: named after the file and a hash of its path, so that
    it shadows no other module and two plug-ins of the same file name in different folders both load."""
    name = f"ddlaws_plugin_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
