"""Throughput of evaluation training: 16 models one at a time against 16 models
trained together (torch.func: functional_call + vmap), in models per second.

Workload (the issue's): ConvNet width 128 (depth 3, instance norm) on
FashionMNIST-shaped data at IPC 1, 10 and 50 (10, 100, 500 real images of
Debian's copy, or random tensors), SGD with momentum, batch 256, 300 epochs,
then the test pass over 10 000 images. The 16 models differ in seed, lr and
weight decay (4 x 2 x 2), as an evaluation family's configurations do.

A CPU cannot train 2 x 16 such models in minutes, so --epochs and --test-images
shrink the work; the throughput printed is then also extrapolated to the full
workload (training time scales with epochs, the test pass with its images).
--digits measures the embedded default's case instead: the digits split and
its ConvNet (width 32, depth 2, 8 x 8 images), where the CPU policy of
``evaluation.vectorize: auto`` comes from.

    python benchmarks/train_many.py [--ipcs 1 10 50] [--epochs 300] [--test-images 10000] [--digits]
"""

from __future__ import annotations

import argparse

import torch

from common import best_of, digits_split, fashion_split
from ddlaws.train.stacked import Run, train_runs

ARCH = {"net": "convnet", "width": 128, "depth": 3, "norm": "instance", "activation": "relu", "pooling": "avg"}
DIGITS_ARCH = {**ARCH, "width": 32, "depth": 2}
FULL_EPOCHS, FULL_TEST = 300, 10000


def family(epochs: int, arch: dict) -> list[Run]:
    runs = []
    for lr in (0.01, 0.02):
        for wd in (0.0, 5e-4):
            cfg = {"name": f"lr{lr}-wd{wd}", "arch_name": "convnet", "arch": arch, "epochs": epochs, "batch": 256,
                   "schedule": "step", "augment": {"type": "none"},
                   "optimizer": {"type": "sgd", "lr": lr, "momentum": 0.9, "weight_decay": wd}}
            runs += [Run(cfg, seed) for seed in range(4)]
    return runs


def main(argv=None) -> list[tuple[str, str, str]]:
    """Print the table; return its figures as (workload, measure, value) rows."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ipcs", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--epochs", type=int, default=FULL_EPOCHS)
    parser.add_argument("--test-images", type=int, default=FULL_TEST)
    parser.add_argument("--digits", action="store_true", help="the digits default's data and ConvNet instead")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    split, source = digits_split(device) if args.digits else fashion_split(device)
    x_test, y_test = split.x_test[:args.test_images], split.y_test[:args.test_images]
    arch = DIGITS_ARCH if args.digits else ARCH
    runs = family(args.epochs, arch)
    print(f"{len(runs)} x ConvNet-{arch['width']}-{arch['depth']}, {args.epochs} epochs, "
          f"test on {len(x_test)} images, {device} ({torch.get_num_threads()} threads); data: {source}")
    print(f"{'IPC':>4} {'mode':<12} {'wall s':>8} {'train s':>8} {'test s':>7} {'models/s':>9} "
          f"{'models/s at 300 ep + 10k test':>30} {'speedup':>8}")
    rows = []
    for ipc in args.ipcs:
        idx = torch.cat([torch.nonzero(split.y_train == c).flatten()[:ipc] for c in range(split.num_classes)])
        x, y = split.x_train[idx], split.y_train[idx]
        rates = {}
        for mode in ("never", "always"):
            results = []
            wall, _ = best_of(lambda: results.append(train_runs(runs, x, y, x_test, y_test, 10, vectorize=mode,
                                                               desc=f"ipc{ipc} {mode}")), 1)
            train = sum(r["train_time"] for r in results[-1])
            test = wall - train
            full = train * FULL_EPOCHS / args.epochs + test * FULL_TEST / len(x_test)
            rates[mode] = len(runs) / full
            label = "one-at-a-time" if mode == "never" else "vectorised"
            speedup = "" if mode == "never" else f"{rates['always'] / rates['never']:.2f}x"
            print(f"{ipc:>4} {label:<12} {wall:>8.1f} {train:>8.1f} {test:>7.1f} {len(runs) / wall:>9.3f} "
                  f"{rates[mode]:>30.4f} {speedup:>8}", flush=True)
            workload = (f"{len(runs)} x ConvNet-{arch['width']}-{arch['depth']}, IPC {ipc}, "
                        f"{args.epochs} epochs, {device}")
            rows.append((workload, f"models/s {label}", f"{len(runs) / wall:.3f}"))
        rows.append((workload, "speedup stacked", f"{rates['always'] / rates['never']:.2f}x"))
    return rows


if __name__ == "__main__":
    main()
