"""An evaluate job that trains only the configurations its set's model store lacks (``plan.model_store``).

Adding a configuration to the family, or changing one optimizer, re-runs every evaluate job, but
each trains only the configurations whose entry is missing or stale; the others' rows are read
back as they were written, so the job's table is the one a full retraining would give, up to the
floating-point reassociation of training a group of models stacked with other members.
"""

from __future__ import annotations

import hashlib
import logging

import torch

from ..data.datasets import Split
from ..plan.model_store import entry_paths, read_entry, write_entry
from .evaluation import evaluate_distilled

log = logging.getLogger(__name__)

# What a distilled set's models learn from; its file also holds timings and a loss curve, which do not count.
SET_CONTENT = ("images", "labels", "soft_labels", "lr")


def content_digest(values: list) -> str:
    """sha256 of tensors (dtype, shape and bytes) and plain values, in order."""
    digest = hashlib.sha256()
    for value in values:
        if isinstance(value, torch.Tensor):
            tensor = value.detach().cpu().contiguous()
            digest.update(f"{tensor.dtype}{tuple(tensor.shape)}".encode())
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()[:16]


def model_inputs(distilled: dict, split: Split) -> dict:
    """What an entry's rows were trained and tested on, beyond its key: the set, the test split, torch."""
    return {"set": content_digest([distilled.get(name) for name in SET_CONTENT]),
            "test": content_digest([split.x_test, split.y_test]), "torch": torch.__version__}


def evaluate_with_store(distilled: dict, split: Split, family: dict[str, dict], eval_seeds: list[int],
                        store: str, settings: dict, **options) -> list[dict]:
    """``evaluate_distilled``'s rows for the whole family, training only the configurations without a
    current entry in ``store`` and writing each one's entry as soon as its rows are final.

    ``settings`` are the job's params that the rows depend on (``plan.model_store.settings_of``);
    ``options`` go to ``evaluate_distilled``.
    """
    inputs = model_inputs(distilled, split)
    paths = entry_paths(store, family, settings)
    rows = {name: read_entry(path, inputs) for name, path in paths.items()}
    missing = {name: family[name] for name, stored in rows.items() if stored is None}
    seeds = len(eval_seeds)
    log.info("%d of %d models stored; training %d (%d configuration%s x %d eval seeds)",
             (len(family) - len(missing)) * seeds, len(family) * seeds, len(missing) * seeds, len(missing),
             "" if len(missing) == 1 else "s", seeds)

    def keep(name: str, trained: list[dict]) -> None:
        write_entry(paths[name], trained, inputs)
        rows[name] = trained

    if missing:
        evaluate_distilled(distilled, split, missing, eval_seeds, on_done=keep, **options)
    return [row for name in family for row in rows[name]]
