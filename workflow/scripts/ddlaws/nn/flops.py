"""FLOPs of a piece of torch code, by torch's own counter (matmuls and convolutions,
forward and backward). ``train_many`` uses it to decide whether stacking models pays
on the CPU; the benchmarks use it to report utilisation against the matmul peak."""

from __future__ import annotations

from torch.utils.flop_counter import FlopCounterMode


def count_flops(fn) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()
