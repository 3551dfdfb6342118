"""The store of evaluated models: one entry per (distilled set, configuration), so that a change to
the family trains only the configurations it touches.

Snakemake still decides which evaluate jobs run (the family is one of their params), but a job
trains only the configurations of its set that have no current entry. An entry's name carries its
key: a digest of everything that defines its rows besides the set, namely the configuration's
training spec as the job receives it and every other param of the job (eval seeds, learned lr,
soft-label loss, convergence tolerance, extensions, the evaluate code version): a param added to
the rule enters the key by itself. What only the job can read it records inside the entry, its
``inputs``: the digests of the set's content and of the test split, and the torch version. An entry
whose inputs differ from the job's (the set was distilled again) is stale and trains again.

Pure Python: the Snakefile counts the stored entries at parse time, with stat calls only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..atomic import write_text

# The params of an evaluate job that are not settings of its models: the family (each entry takes its
# own configuration's spec from it) and where the store lies.
NOT_SETTINGS = ("family", "store")


def settings_of(params: dict) -> dict:
    """The params of an evaluate job that every configuration's rows depend on."""
    return {name: value for name, value in params.items() if name not in NOT_SETTINGS}


def entry_key(training: dict, settings: dict) -> str:
    """12 hex digits of the sha256 of the canonical JSON of a configuration's spec and the job's settings."""
    text = json.dumps({"training": training, "settings": settings}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def entry_paths(store: str | Path, family: dict[str, dict], settings: dict) -> dict[str, Path]:
    """{configuration: the path of its entry} for one set's store folder."""
    return {name: Path(store) / f"{name}-{entry_key(training, settings)}.json" for name, training in family.items()}


def read_entry(path: Path, inputs: dict) -> list[dict] | None:
    """The rows of the entry at ``path`` if it was trained from ``inputs``; None where it is missing,
    unreadable or stale (it is then trained again and overwritten)."""
    try:
        entry = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return entry["rows"] if entry.get("inputs") == inputs else None


def write_entry(path: Path, rows: list[dict], inputs: dict) -> None:
    """One configuration's rows and the inputs they were trained from, atomically (JSON keeps every float exact)."""
    write_text(path, json.dumps({"inputs": inputs, "rows": rows}, indent=1))


def stored_models(jobs: list[tuple[str, dict]], family: dict[str, dict], models_per_entry: int) -> tuple[int, int]:
    """(models with an entry of the current key, models) over evaluate jobs given as (store folder, settings)."""
    stored = sum(path.exists() for store, settings in jobs for path in entry_paths(store, family, settings).values())
    return stored * models_per_entry, len(jobs) * len(family) * models_per_entry
