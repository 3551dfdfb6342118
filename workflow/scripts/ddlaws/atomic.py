"""Atomic file writes: a killed job never leaves a half file that looks complete.

Every writer goes to a temporary file in the destination directory and then
renames it over the target; a rename within one file system is atomic.
"""

from __future__ import annotations

import io
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def save_tensors(obj, path: str | os.PathLike) -> None:
    """torch.save, atomically. ``obj`` must hold only tensors and plain data."""
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    write_bytes(path, buf.getvalue())


class DamagedFile(ValueError):
    """A result file that cannot be read: cut short, overwritten, or not ours. The message names it."""


def remake_hint(path) -> str:
    """How to make a damaged result file again."""
    return f"Make it again with `snakemake --forcerun {path}`, or delete it and re-run snakemake."


def load_tensors(path: str | os.PathLike, map_location="cpu", mmap: bool = False, remedy: str | None = None):
    """torch.load that never unpickles code (``mmap``: read tensors lazily from disk).

    A file that torch cannot read raises ``DamagedFile`` naming the file and how
    to make it again (``remedy``; by default Snakemake's ``--forcerun``, which
    fits every file the workflow writes), instead of torch's internal zip or
    unpickling error; one that holds pickled code is refused with an
    ``UnpicklingError`` naming it.
    """
    import pickle
    import zipfile

    import torch

    remedy = remedy or remake_hint(path)

    try:
        return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as err:
        if "Unsupported global" in str(err):  # readable, but it holds objects other than tensors and plain data
            raise pickle.UnpicklingError(f"{path} holds pickled objects other than tensors and plain data; "
                                         "refused (weights_only)") from err
        raise DamagedFile(f"{path} is damaged or incomplete and cannot be read (UnpicklingError). {remedy}") from err
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as err:
        raise DamagedFile(f"{path} is damaged or incomplete and cannot be read ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else 'no detail'}). {remedy}") from err


def read_table(path: str | os.PathLike):
    """A CSV written by ``write_csv``; an empty table (a CSV with no columns) reads as an empty frame."""
    import pandas as pd

    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def write_csv(frame, path: str | os.PathLike) -> None:
    write_text(path, frame.to_csv(index=False))


def save_figure(fig, *paths: str | os.PathLike) -> None:
    """Save one matplotlib figure to each path, the format taken from the suffix."""
    for path in paths:
        buf = io.BytesIO()
        fig.savefig(buf, format=Path(path).suffix.lstrip("."), bbox_inches="tight", dpi=150)
        write_bytes(path, buf.getvalue())
