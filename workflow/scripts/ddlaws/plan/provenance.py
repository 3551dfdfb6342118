"""Which code a stage runs, as a digest, so that changing the code re-runs the stage.

Snakemake re-runs a job when its script file changes, but not when a module
that script imports changes. Each rule therefore gets a ``code`` param: a hash
of the ddlaws modules its script reaches through imports (found by reading the
source, lazy imports and deferred modules' names included). Editing a plotting
module re-runs the figures and nothing else; editing DM re-runs the DM
distillations and what depends on them: the method registry finds its modules
by listing its folder, not by importing them by name, so a distill job adds its
own method's module and no other. A plug-in method's module lies outside the
package: its distill jobs add its file, hashed under its file name (not its
folder, which differs between machines) and followed like a module; other
modules of the plug-in's own that it imports are not followed.
"""

from __future__ import annotations

import ast
import hashlib
import re
from functools import lru_cache
from pathlib import Path

PACKAGE = "ddlaws"
MODULE_STRING = re.compile(rf"^{PACKAGE}(\.\w+)+(:\w+)?$")


def _module_file(scripts_dir: Path, module: str) -> Path | None:
    base = scripts_dir.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path, module: str | None) -> set[str]:
    """ddlaws modules named by the imports and module strings of one file."""
    package = module if path.name == "__init__.py" else (module.rpartition(".")[0] if module else None)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level and package:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            if base.split(".")[0] != PACKAGE:
                continue
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_STRING.match(node.value):
            found.add(node.value.split(":")[0])
    # a submodule import also runs its packages' __init__
    for name in list(found):
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return found


@lru_cache(maxsize=None)
def stage_code_digest(scripts_dir: str, script: str, modules: tuple[str, ...] = (),
                      outside: tuple[str, ...] = ()) -> str:
    """Hash of ``script`` and every ddlaws module it reaches, 12 hex digits.

    ``modules`` are followed as if the script imported them (the distill stage
    adds the job's method module, which the registry names); so are the files
    ``outside`` the scripts' folder (a plug-in method's module).
    """
    root = Path(scripts_dir)
    files = {root / script: None}
    todo = list(_imported_modules(root / script, None)) + list(modules)
    for file in map(Path, outside):
        files[file] = None
        todo.extend(_imported_modules(file, None))
    seen = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(root, module)
        if path is None:  # `from pkg import function`, not a module
            continue
        files[path] = module
        todo.extend(_imported_modules(path, module) - seen)
    digest = hashlib.sha256()
    named = {str(path.relative_to(root)) if path.is_relative_to(root) else path.name: path for path in files}
    for name in sorted(named):
        digest.update(name.encode())
        digest.update(named[name].read_bytes())
    return digest.hexdigest()[:12]
