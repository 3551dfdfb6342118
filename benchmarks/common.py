"""Helpers shared by the benchmark scripts: timing, the machine's matmul peak, FashionMNIST."""

from __future__ import annotations

import statistics
from pathlib import Path

import torch

from ddlaws.train.engine import timed

FASHION = Path("/usr/share/datasets/fashion-mnist")


def best_of(fn, repeats: int) -> tuple[float, list[float]]:
    """Run ``fn`` ``repeats`` times; return the median and all wall times in seconds."""
    times = [timed(fn)[1] for _ in range(repeats)]
    return statistics.median(times), times


def matmul_gflops(device, size: int = 2048, repeats: int = 10, dtype=torch.float32) -> float:
    """Matmul throughput (fp32 unless ``dtype``): the peak the FLOP utilisation is measured against."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    a @ b

    def products():
        for _ in range(repeats):
            a @ b

    _, seconds = timed(products)
    return 2 * size ** 3 * repeats / seconds / 1e9


def fashion_split(device, n_train: int | None = None):
    """FashionMNIST from Debian's local copy, or FashionMNIST-shaped random tensors without it."""
    from ddlaws.data.catalog import DATASETS
    from ddlaws.data.datasets import Split, build_dataset

    if FASHION.exists():
        record = build_dataset(DATASETS["fashion_mnist"], {"local": str(FASHION), "download": False,
                                                 "download_dir": "/tmp", "download_timeout": 1})
        source = str(FASHION)
    else:
        gen = torch.Generator().manual_seed(0)
        record = {"train_images": torch.randint(0, 256, (60000, 1, 28, 28), generator=gen, dtype=torch.uint8),
                  "train_labels": torch.arange(60000) % 10,
                  "test_images": torch.randint(0, 256, (10000, 1, 28, 28), generator=gen, dtype=torch.uint8),
                  "test_labels": torch.arange(10000) % 10,
                  "mean": torch.tensor([0.5]), "std": torch.tensor([0.29]), "classes": [str(i) for i in range(10)]}
        source = "random FashionMNIST-shaped tensors"

    def norm(images):
        x = images.to(device=device, dtype=torch.float32) / 255.0
        return (x - record["mean"].to(device).view(1, -1, 1, 1)) / record["std"].to(device).view(1, -1, 1, 1)

    n = n_train or len(record["train_images"])
    split = Split(norm(record["train_images"][:n]), record["train_labels"][:n].to(device),
                  norm(record["test_images"]), record["test_labels"].to(device),
                  record["mean"].to(device), record["std"].to(device), list(record["classes"]))
    return split, source


def digits_split(device):
    import tempfile

    from ddlaws.atomic import save_tensors
    from ddlaws.data.catalog import DATASETS
    from ddlaws.data.datasets import build_dataset, load_split

    with tempfile.TemporaryDirectory() as folder:
        save_tensors(build_dataset(DATASETS["digits"], {"test_fraction": 0.3, "split_seed": 0}), f"{folder}/digits.pt")
        return load_split(f"{folder}/digits.pt", device), "scikit-learn digits"
