"""Seconds per iteration of a pool variant against the plain method on the same networks.

A pool variant draws one network per iteration from its pool, so an iteration
costs what the plain method's costs on the drawn network: no extra passes.
This times, side by side in one run, DM and GM on the digits default's
networks: plain with the ConvNet, plain with the MLP, and the pool of both.
The pool's time per iteration should be the mean of the two plain ones,
weighted by how often each was drawn (printed as "expected").

    python benchmarks/pool_cost.py [--iterations 40] [--repeats 3]
"""

from __future__ import annotations

import argparse
from collections import Counter


from common import best_of, digits_split
from ddlaws.methods import get_method
from ddlaws.methods.common import pool_architecture

NETS = {"convnet": {"net": "convnet", "width": 32, "depth": 2, "norm": "instance", "activation": "relu",
                    "pooling": "avg"},
        "mlp": {"net": "mlp", "width": 128}}
DSA = {"type": "dsa", "strategy": "crop_scale_rotate"}
PARAMS = {
    "dm": {"lr_img": 10.0, "momentum_img": 0.5, "batch_real": 64, "init": "real", "augment_spec": DSA},
    "gm": {"lr_img": 0.1, "momentum_img": 0.5, "lr_net": 0.1, "batch_real": 128, "batch_train": 256, "init": "real",
           "augment_spec": DSA, "bn_images_per_class": 16, "loops": {10: [5, 10]}, "class_batching": "auto"},
}
IPC = 10


def main(argv=None) -> list[tuple[str, str, str]]:
    """Print the table; return its figures as (workload, measure, value) rows."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    split, _ = digits_split("cpu")
    rows = []
    print(f"{'method':6} {'networks':16} {'s / iteration':>14} {'expected':>9}")
    for method, base in PARAMS.items():
        iterations = args.iterations if method == "dm" else max(args.iterations // 10, 2)
        plain = {}
        for name, spec in NETS.items():
            params = {**base, "iterations": iterations, "arch_spec": spec}
            seconds, _ = best_of(lambda: get_method(method)(split, IPC, 0, params), args.repeats)
            plain[name] = seconds / iterations
            print(f"{method:6} {name:16} {plain[name]:14.4f}")
            rows.append((f"{method} ipc{IPC} plain {name}", "s/iteration", f"{plain[name]:.4f}"))
        params = {**base, "iterations": iterations, "arch_spec": NETS["convnet"], "pool": {"arch": list(NETS)},
                  "pool_arch_specs": NETS}
        seconds, _ = best_of(lambda: get_method(method)(split, IPC, 0, params), args.repeats)
        drawn = Counter(pool_architecture(params, 0, it)[0] for it in range(iterations))
        expected = sum(plain[name] * count for name, count in drawn.items()) / iterations
        pooled = seconds / iterations
        print(f"{method:6} {'pool of both':16} {pooled:14.4f} {expected:9.4f}   (drawn: {dict(drawn)})")
        rows.append((f"{method} ipc{IPC} pool convnet+mlp", "s/iteration (expected)",
                     f"{pooled:.4f} ({expected:.4f})"))
    return rows


if __name__ == "__main__":
    main()
