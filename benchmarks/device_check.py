"""What this device does per unit of distillation, and the FLOP rate to plan with.

Rows: the device; seconds per iteration of DM, GM and MTT (and of DM under
bf16 autocast); the fraction of the device's fp32 and bf16 peak each reaches,
against a matmul peak measured here (FLOPs by torch's counter); and
``gpu_flops``, the rate at which the work model of the job resources
(``ddlaws.plan.job_resources``, the methods' ``work``) reproduces the
measured times: the value to put in ``resources.gpu_flops``.

Workload on CUDA: CIFAR-shaped random data (3 x 32 x 32, 10 classes, 500
images per class), the reference ConvNet (width 128, depth 3), IPC 10, the
published batches (DM 256 real images per class; GM 10 outer x 50 inner
steps; MTT 30 unrolled steps of one 2-epoch expert), no DSA. Its work model
counts about 2e13 FLOPs in all, under a minute at 1e12 FLOP/s. On the CPU the
same at digits' size (1 x 8 x 8, a width-32 depth-2 ConvNet, IPC 2, smaller
batches), in about a minute on 2 cores.

    python benchmarks/device_check.py [--device cuda] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform

import torch

from common import best_of, matmul_gflops
from ddlaws.atomic import save_tensors
from ddlaws.data.datasets import Split
from ddlaws.methods import METHODS, get_method
from ddlaws.methods.registry import Job
from ddlaws.nn.flops import count_flops
from ddlaws.plan.job_resources import STEP_SECONDS, image_flops
from ddlaws.runtime import precision
from ddlaws.train.experts import train_expert

NONE = {"type": "none"}
# per device: (channels, side, per-class training images, arch, ipc, dm batch, gm loops and batch, mtt steps)
WORKLOADS = {
    "cuda": {"channels": 3, "size": 32, "per_class": 500, "dataset": "cifar10", "ipc": 10,
             "arch": {"net": "convnet", "width": 128, "depth": 3, "norm": "instance", "activation": "relu",
                      "pooling": "avg"},
             "dm_real": 256, "gm_loops": [10, 50], "gm_real": 256, "mtt_steps": 30, "iterations": 5},
    "cpu": {"channels": 1, "size": 8, "per_class": 50, "dataset": "digits", "ipc": 2,
            "arch": {"net": "convnet", "width": 32, "depth": 2, "norm": "instance", "activation": "relu",
                     "pooling": "avg"},
            "dm_real": 16, "gm_loops": [2, 2], "gm_real": 16, "mtt_steps": 5, "iterations": 2},
}


def random_split(w: dict, device) -> Split:
    """Random images of the workload's shape, the same number in every class."""
    gen = torch.Generator().manual_seed(0)
    n = 10 * w["per_class"]
    x = torch.randn(n, w["channels"], w["size"], w["size"], generator=gen)
    y = torch.arange(n) % 10
    x_test, y_test = x[:1000].clone(), y[:1000].clone()
    return Split(x.to(device), y.to(device), x_test.to(device), y_test.to(device),
                 torch.zeros(w["channels"], device=device), torch.ones(w["channels"], device=device),
                 [str(c) for c in range(10)])


def method_params(w: dict) -> dict[str, dict]:
    common = {"init": "real", "arch_spec": w["arch"], "augment_spec": NONE, "iterations": w["iterations"]}
    return {
        "dm": {**common, "lr_img": 1.0, "momentum_img": 0.5, "batch_real": w["dm_real"]},
        "gm": {**common, "lr_img": 0.1, "momentum_img": 0.5, "lr_net": 0.01, "batch_real": w["gm_real"],
               "batch_train": 256, "bn_images_per_class": 16, "loops": {w["ipc"]: w["gm_loops"]},
               "class_batching": "auto"},
        "mtt": {**common, "syn_steps": w["mtt_steps"], "expert_epochs": 1, "max_start_epoch": 1, "lr_img": 100.0,
                "lr_lr": 1e-8, "lr_teacher": 0.01, "momentum": 0.5, "batch_syn": None, "memory": "lean",
                "lr_guard_factor": 100, "soft_labels": False, "lr_label": 10.0},
    }


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (CUDA {torch.version.cuda})"
    return f"CPU {platform.processor() or platform.machine()} ({torch.get_num_threads()} threads)"


def main(argv=None) -> list[tuple[str, str, str]]:
    """Print the table; return its figures as (workload, measure, value) rows."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--expert-dir", default="/tmp", help="where the MTT expert is written")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    w = WORKLOADS[device.type]
    split = random_split(w, device)
    expert = f"{args.expert_dir}/device_check_expert.pt"
    training = {"name": "e", "arch_name": "convnet", "arch": w["arch"], "augment": NONE, "epochs": 2,
                "min_steps": 0, "batch": 256, "schedule": "none",
                "optimizer": {"type": "sgd", "lr": 0.01, "momentum": 0.0, "weight_decay": 0.0}}
    save_tensors(train_expert(split, training, 0), expert)
    inputs = {"dm": {}, "gm": {}, "mtt": {"experts": [expert]}}
    side = 4096 if device.type == "cuda" else 512
    peaks = {name: matmul_gflops(device, side, dtype=dtype) * 1e9
             for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16))}
    job = Job(10, w["ipc"], image_flops(w["arch"], {}, w["dataset"]))
    workload = f"ConvNet-{w['arch']['width']}-{w['arch']['depth']}, {w['channels']}x{w['size']}px, IPC {w['ipc']}"
    rows = [("device", "name", device_name(device)),
            ("matmul peak (measured)", "fp32 GFLOP/s", f"{peaks['fp32'] / 1e9:.1f}"),
            ("matmul peak (measured)", "bf16 GFLOP/s", f"{peaks['bf16'] / 1e9:.1f}")]
    model_flops, model_seconds = 0.0, 0.0
    for name, params in method_params(w).items():
        for arithmetic in ("fp32", "bf16") if name == "dm" else ("fp32",):
            def run(p=params, a=arithmetic):
                with precision(a, device):
                    return get_method(name)(split, w["ipc"], 0, p, **inputs[name])

            run()  # warm-up: kernels chosen, memory allocated
            seconds = best_of(run, args.repeats)[0] / params["iterations"]
            counted = count_flops(run) / params["iterations"]
            rows += [(f"{name.upper()} iteration, {workload}, {arithmetic}", "s/iteration", f"{seconds:.4f}"),
                     (f"{name.upper()} iteration, {workload}, {arithmetic}", f"fraction of {arithmetic} peak",
                      f"{counted / seconds / peaks[arithmetic]:.3f}")]
            if arithmetic == "fp32":
                flops, steps = METHODS[name].work({**params, "iterations": 1}, job)
                model_flops += flops
                model_seconds += max(seconds - steps * STEP_SECONDS, 0.1 * seconds)
    rows.append(("DM+GM+MTT, by the work model", "gpu_flops (resources.gpu_flops)",
                 f"{model_flops / model_seconds:.3g}"))
    width = max(len(r[0]) + len(r[1]) for r in rows) + 2
    for workload_name, measure, value in rows:
        print(f"{workload_name}  {measure}".ljust(width), value)
    return rows


if __name__ == "__main__":
    main()
