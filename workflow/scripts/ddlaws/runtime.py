"""What every stage job needs around its work: a log file, progress bars, a device.

Snakemake gives each job a ``log:`` file; ``job_log`` routes stdout, stderr,
warnings and the ``logging`` module there, and records a traceback before a
failure propagates, so the log alone explains a failed job.
"""

from __future__ import annotations

import contextlib
import logging
import socket
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


class NoGPU(RuntimeError):
    """A job that was promised a GPU found none: it stops before any work."""


def job_device(job: str, device: str, gpus: int = 0):
    """The device of the compute job ``job``, under the config's ``device`` and
    the ``gpu`` resource Snakemake gave it.

    A job promised a GPU (``device: cuda``, or a ``gpu`` request) that finds no
    CUDA device fails at once, instead of training for days on the CPU or
    failing deep inside; ``auto`` without one trains on the CPU and says so.
    """
    import torch

    if device == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    host = socket.gethostname()
    if device == "cuda" or gpus:
        promise = "device: cuda" if device == "cuda" else f"resources gpu={gpus}"
        raise NoGPU(f"{job}: promised a GPU ({promise}) but {host} has no CUDA device "
                    f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); set device: cpu in the config "
                    f"(and request no gpu), or run it on a GPU node (SLURM: a partition with GPUs)")
    log.warning("%s: device: auto found no CUDA device on %s and trains on the CPU, which is far slower for "
                "GPU-sized work; set device: cuda to request a GPU (and fail without one), or device: cpu to "
                "silence this", job, host)
    return torch.device("cpu")


def stage_device(snakemake):
    """:func:`job_device` for the job of a stage script (its rule, wildcards and resources)."""
    job = " ".join([snakemake.rule, *(f"{k}={v}" for k, v in snakemake.wildcards.items())])
    return job_device(job, snakemake.config["device"], int(snakemake.resources.get("gpu", 0) or 0))


@contextlib.contextmanager
def precision(name: str, device) -> Iterator[None]:
    """The arithmetic of a training body (the config's ``precision``): ``fp32``
    float32 throughout, TF32 off also where torch turns it on by default (cuDNN's
    convolutions), so that CUDA agrees with the CPU to rounding; ``tf32``
    TensorFloat-32 matmuls and convolutions on CUDA; ``bf16`` bfloat16 autocast
    of the forward passes on either device. The TF32 flags are restored afterwards."""
    import torch

    if name not in ("fp32", "tf32", "bf16"):
        raise ValueError(f"precision: {name!r} is none of fp32, tf32, bf16")
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = name == "tf32"
    try:
        if name == "bf16":
            with torch.autocast(torch.device(device).type, dtype=torch.bfloat16):
                yield
        else:
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
