"""Distilled sets made elsewhere (``external:`` in the config): where they lie, what they hold.

An external set enters the workflow as a method of its own: one file (or
folder) per IPC under the set's ``path``, imported into our own distilled-set
format by the ``external_set`` job, then evaluated and fitted like every other
method. This module is the parse-time half, without torch: it finds each IPC's
source and hashes its content, so that the digest is a param of the import job
and replacing a file re-runs exactly its evaluations and the laws.

Whether a source is missing, doubled or wrong is decided by the import job,
not here: a bad external set then fails its own jobs only, and every other job
goes on (``ddlaws.data.external``).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

FILE_FORMATS = (".pt", ".npz", ".safetensors")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def expected_sources(root: str | Path, ipc: int) -> list[Path]:
    """Every place the set for ``ipc`` may be: ``ipc<k>.pt``, ``.npz``, ``.safetensors`` or a folder ``ipc<k>/``."""
    root = Path(root)
    return [root / f"ipc{ipc}{suffix}" for suffix in FILE_FORMATS] + [root / f"ipc{ipc}"]


def sources(root: str | Path, ipc: int) -> list[Path]:
    """The places of ``expected_sources`` that exist (one, for a well-formed set)."""
    return [path for path in expected_sources(root, ipc) if path.exists()]


def folder_files(folder: Path) -> list[Path]:
    """Every file below an image folder, in a stable order (all of them, images or not, so that the
    import job can name a stray file and the digest changes with any of them)."""
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _file_digest(path: Path, digest) -> None:
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)


@lru_cache(maxsize=None)
def _cached_digest(root: str, stamp: tuple) -> str:
    digest = hashlib.sha256()
    for name, _size, _mtime in stamp:
        path = Path(name)
        digest.update(str(path.relative_to(root)).encode())
        _file_digest(path, digest)
    return digest.hexdigest()[:16]


def files_digest(root: str | Path, files: list[Path]) -> str:
    """A hash of the names (relative to ``root``) and bytes of ``files``.

    Cached per parse on the files' sizes and modification times, so a dry run
    over many jobs reads each file once.
    """
    stamp = []
    for path in files:
        stat = path.stat()
        stamp.append((str(path), stat.st_size, stat.st_mtime_ns))
    return _cached_digest(str(Path(root)), tuple(stamp))


def content_digest(root: str | Path, ipc: int) -> str:
    """A hash of the names and bytes of the set's sources for ``ipc``; ``missing`` when there is none."""
    found = sources(root, ipc)
    if not found:
        return "missing"
    return files_digest(root, [p for source in found for p in (folder_files(source) if source.is_dir() else [source])])
