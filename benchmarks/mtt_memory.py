"""Seconds per MTT iteration and peak memory, the plain unroll against the lean
one, at N = 10, 20, 40 and 80 student steps.

Workload (the issue's): ConvNet width 128 (depth 3, instance norm) on
FashionMNIST at IPC 10 (Debian's copy; FashionMNIST-shaped random tensors
without it), DSA on, every synthetic image in each step (batch_syn: all).
The experts are two synthetic trajectories (initial weights plus small steps):
an iteration's cost does not depend on what the experts learned.

Each (N, mode) runs in a fresh process, so peaks do not mix: on the CPU the
unroll's peak is the process's peak RSS (ru_maxrss) minus its RSS just before
the first iteration; on CUDA, torch.cuda.max_memory_allocated. A process is
allowed --limit-gib of address space; a run that needs more is reported as
"out of memory" instead of taking the machine down.

    python benchmarks/mtt_memory.py [--steps 10 20 40 80] [--iterations 2]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import FASHION, fashion_split

ARCH = {"net": "convnet", "width": 128, "depth": 3, "norm": "instance", "activation": "relu", "pooling": "avg"}
DSA = {"type": "dsa", "strategy": "color_crop_cutout_flip_scale_rotate"}
IPC, EPOCHS = 10, 4


def rss_mib() -> float:
    """Current resident memory of this process in MiB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def synthetic_experts(split, folder: Path) -> list[Path]:
    from ddlaws.atomic import save_tensors
    from ddlaws.nn.models import flat_params, init_model

    paths = []
    for i in range(2):
        start = flat_params(init_model(ARCH, 1, 10, 28, i)).cpu()
        gen = torch.Generator().manual_seed(i)
        steps = 1e-3 * torch.randn(EPOCHS, start.numel(), generator=gen)
        trajectory = torch.cat([start[None], start[None] + steps.cumsum(0)])
        path = folder / f"expert{i}.pt"
        save_tensors({"trajectory": trajectory, "num_params": int(start.numel()), "training": {"arch": ARCH}}, path)
        paths.append(path)
    return paths


def child(steps: int, memory: str, iterations: int, device: str) -> dict:
    """One measurement, in this process."""
    from ddlaws.methods.mtt import distill_mtt

    torch.manual_seed(0)
    # a few real images per class are all MTT reads (its init); a small split keeps
    # the loading transient below the unroll's peak
    split, _ = fashion_split(torch.device(device), n_train=2000)
    with tempfile.TemporaryDirectory() as folder:
        experts = synthetic_experts(split, Path(folder))
        params = {"iterations": 1, "syn_steps": steps, "expert_epochs": 2, "max_start_epoch": 2, "lr_img": 100.0,
                  "lr_lr": 1e-5, "lr_teacher": 0.01, "momentum": 0.5, "batch_syn": None, "init": "real",
                  "arch_spec": ARCH, "augment_spec": DSA, "memory": memory, "lr_guard_factor": 100,
                  "soft_labels": False, "lr_label": 10.0}
        if device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            base = torch.cuda.memory_allocated() / 2**20
        else:
            base = rss_mib()
        times = []
        for _ in range(iterations):
            start = time.perf_counter()
            distill_mtt(split, IPC, 0, params, experts=experts)
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        peak = (torch.cuda.max_memory_allocated() / 2**20 if device == "cuda"
                else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    # the first iteration pays one-time costs; the fastest one is the steady state
    return {"seconds": min(times), "peak_mib": peak - base}


def run_child(steps: int, memory: str, args) -> dict:
    limit = str(int(args.limit_gib * 2**30))
    code = ("import resource, sys, json; "
            f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})) if '{args.device}' == 'cpu' else None; "
            "sys.path.insert(0, sys.argv[1]); import mtt_memory; "
            f"print('RESULT', json.dumps(mtt_memory.child({steps}, '{memory}', {args.iterations}, '{args.device}')))")
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    if "MemoryError" in proc.stderr or "can't allocate memory" in proc.stderr.lower() or proc.returncode < 0:
        return {"error": "out of memory"}
    raise RuntimeError(proc.stderr[-3000:])


def main(argv=None) -> list[tuple[str, str, str]]:
    """Print the table; return its figures as (workload, measure, value) rows."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 20, 40, 80])
    parser.add_argument("--iterations", type=int, default=2, help="timed iterations per run (the fastest counts)")
    parser.add_argument("--limit-gib", type=float, default=18.0, help="address-space limit of each CPU run")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    source = str(FASHION) if FASHION.exists() else "random FashionMNIST-shaped tensors"
    print(f"MTT, ConvNet-128, IPC {IPC}, DSA, on {args.device} ({torch.get_num_threads()} threads); data: {source}")
    print(f"{'N':>4} {'plain s/it':>11} {'lean s/it':>10} {'lean/plain':>11} {'plain MiB':>10} {'lean MiB':>9}")
    lean_peaks, rows = {}, []
    for steps in args.steps:
        plain, lean = run_child(steps, "plain", args), run_child(steps, "lean", args)
        lean_peaks[steps] = lean.get("peak_mib")

        def cell(result, key, fmt):
            return format(result[key], fmt) if key in result else result["error"]

        ratio = f"{lean['seconds'] / plain['seconds']:.2f}x" if "seconds" in plain and "seconds" in lean else "-"
        print(f"{steps:>4} {cell(plain, 'seconds', '.2f'):>11} {cell(lean, 'seconds', '.2f'):>10} {ratio:>11} "
              f"{cell(plain, 'peak_mib', '.0f'):>10} {cell(lean, 'peak_mib', '.0f'):>9}", flush=True)
        workload = f"MTT N={steps}, IPC {IPC}, ConvNet-128, DSA, {args.device}"
        rows += [(workload, "s/it plain", cell(plain, "seconds", ".2f")),
                 (workload, "s/it lean", cell(lean, "seconds", ".2f")),
                 (workload, "peak MiB plain", cell(plain, "peak_mib", ".0f")),
                 (workload, "peak MiB lean", cell(lean, "peak_mib", ".0f"))]
    measured = [v for v in lean_peaks.values() if v is not None]
    if len(measured) > 1:
        print(f"\nlean peak from N={args.steps[0]} to N={args.steps[-1]}: "
              f"{(max(measured) - min(measured)) / min(measured):+.0%} (max - min over min)")
    return rows


if __name__ == "__main__":
    main()
