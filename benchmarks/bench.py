"""Every benchmark with short defaults, as one table (``make bench``).

The full workloads of the README's performance figures take minutes to hours
on a CPU; these settings take seconds to a minute or two each on 2 cores, so
that any machine, CPU or GPU, can check the claims' direction with one
command (the speedups, the lean unroll's flat memory, when stacking pays).
Run a benchmark on its own, without arguments, for the full workload.

    python benchmarks/bench.py [--verbose] [--out FILE]   # --verbose also prints each benchmark's own table

On CUDA (``make gpu-check``) the same table covers the device: models per
second stacked and one at a time (train_many), DM, GM and MTT iteration times
with the fraction of the measured fp32 and bf16 matmul peak they reach, and
the measured ``gpu_flops`` to put in the config (device_check).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import sys
import time
from pathlib import Path

# benchmark module: its arguments for a short run
QUICK = {
    "distill_speed": ["--repeats", "1", "--inner", "2", "--real", "16"],
    "mtt_memory": ["--steps", "2", "4", "--iterations", "2"],
    "train_many": ["--digits", "--ipcs", "1", "10", "--epochs", "20"],
    "pool_cost": ["--iterations", "20", "--repeats", "1"],
    "device_check": ["--repeats", "1"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--out", help="also write the table to this file")
    args = parser.parse_args()
    rows = []
    for name, argv in QUICK.items():
        start = time.perf_counter()
        out = sys.stderr if args.verbose else io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            found = importlib.import_module(name).main(argv)
        rows += [(name, *row) for row in found]
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    header = ("benchmark", "workload", "measure", "value")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
    table = "\n".join("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip()
                      for row in [header, tuple("-" * w for w in widths), *rows])
    print(table)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(table + "\n")
        print(f"written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
