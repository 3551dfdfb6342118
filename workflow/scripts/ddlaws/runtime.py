"""What every stage job needs around its work: a log file, progress bars, a device.

Snakemake gives each job a ``log:`` file; ``job_log`` routes stdout, stderr,
warnings and the ``logging`` module there, and records a traceback before a
failure propagates, so the log alone explains a failed job.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Iterable, Iterator, TypeVar

T = TypeVar("T")

log = logging.getLogger("ddlaws")


@contextlib.contextmanager
def job_log(path: str | Path | None, threads: int | None = None) -> Iterator[None]:
    """Run the body with all output going to ``path`` (a no-op when ``path`` is None)."""
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    if path is None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", buffering=1) as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.captureWarnings(True)
        started = time.time()
        try:
            with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
                yield
        except BaseException:
            stream.write(traceback.format_exc())
            raise
        finally:
            log.info("job finished after %.1f s", time.time() - started)
            root.removeHandler(handler)


def progress(iterable: Iterable[T], desc: str, total: int | None = None, **kwargs) -> Iterable[T]:
    """A tqdm bar sized for log files: plain ASCII, at most one line every few seconds."""
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, file=sys.stderr, ascii=True,
                mininterval=kwargs.pop("mininterval", 2.0), dynamic_ncols=False, **kwargs)


def pick_device(name: str = "auto"):
    """``auto`` is CUDA when present, else CPU; the same code runs on both."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} requested but CUDA is not available")
    return device
