"""What a compute job asks a scheduler for, derived from its work.

A job's work is counted in FLOPs: image passes (one image through the network
forward; a backward pass counts two more) times the forward FLOPs of one image
for the job's network at the dataset's image size, plus a fixed cost per
optimizer step (kernel launches, augmentation, Python). Runtime follows at a
deliberately modest GPU throughput (``resources.gpu_flops``; ``make bench``
measures the machine's) with a factor of safety 3 and at least 10 minutes,
so that SLURM requests scale with the IPC, the iterations, the
network and the dataset instead of being one constant; a job killed for time
is retried with its request multiplied by the attempt number (and resumes from
its checkpoint). Memory covers the dataset on the device and the largest batch
in flight with its activations. Pure Python: the Snakefile calls it at parse
time, for every job.
"""

from __future__ import annotations

import math

from ..data.custom import dataset_of
from ..methods import METHODS
from ..methods.registry import Job
from .budget import sized_epochs
from .options import net_options

STEP_SECONDS = 0.005         # per optimizer step or class matching, besides the FLOPs
SAFETY = 3.0
MIN_MINUTES = 10
BASE_MB = 3000               # interpreter, torch and a CUDA context
# Forward FLOPs per image at 32 x 32 x 3 relative to the reference ConvNet
# (width 128, depth 3: 1.0e8), by torch's FLOP counter; the ConvNet's own are
# computed from its width and depth. All scale with the pixels of the input.
CONVNET_REFERENCE_FLOPS = 1.0e8
RELATIVE_FLOPS = {"mlp": 0.008, "lenet": 0.013, "alexnet": 4.8, "vgg11": 3.0, "resnet18": 11.0}


def _shape(config: dict, dataset: str) -> tuple[int, int, int]:
    return dataset_of(config, dataset).shape(config["data"].get(dataset, {}))


def _pixels(config: dict, dataset: str) -> int:
    channels, height, width = _shape(config, dataset)
    return channels * height * width


def _sizes(config: dict, dataset: str) -> tuple[int, int]:
    """(training, test) images of the dataset."""
    return dataset_of(config, dataset).sizes(config["data"].get(dataset, {}))


def image_flops(arch: dict, config: dict, dataset: str) -> float:
    """Forward FLOPs of one image through ``arch`` at the dataset's size."""
    scale = _pixels(config, dataset) / (3 * 32 * 32)
    if arch["net"] != "convnet":
        return CONVNET_REFERENCE_FLOPS * RELATIVE_FLOPS[arch["net"]] * scale
    opts = net_options(arch)
    width, depth = opts["width"], opts["depth"]
    # 3 x 3 convolutions at 1, 1/4, 1/16 ... of the pixels (pooling halves the side)
    channels = _shape(config, dataset)[0]
    pixels = _pixels(config, dataset) / channels
    flops = 2 * 9 * channels * width * pixels
    flops += sum(2 * 9 * width * width * pixels / 4 ** i for i in range(1, depth))
    return flops


def _training_work(training: dict, config: dict, dataset: str, n_images: int, models: int) -> tuple[float, float]:
    """(FLOPs, steps) of ``models`` trainings of ``training`` on ``n_images``, and their tests."""
    epochs = sized_epochs(training, n_images)
    steps = epochs * math.ceil(n_images / min(training["batch"], n_images))
    test = _sizes(config, dataset)[1]
    flops = (3.0 * epochs * n_images + test) * image_flops(training["arch"], config, dataset)
    return models * flops, models * steps


def job_work(rule: str, config: dict, dataset: str, params=None, ipc: int = 1) -> tuple[float, float]:
    """(FLOPs, steps) of one job. ``params``: the method's hyper-parameters for
    distill jobs (``rule`` is then the method, whose registered work model
    counts them), the evaluation family for evaluate jobs, the training
    configuration for reference and expert jobs."""
    classes = dataset_of(config, dataset).classes
    seeds = len(config["evaluation"]["eval_seeds"])
    if rule == "evaluate":
        work = [_training_work(training, config, dataset, classes * ipc, seeds) for training in params.values()]
        return sum(f for f, _ in work), sum(s for _, s in work)
    if rule == "reference":
        return _training_work(params, config, dataset, _sizes(config, dataset)[0], seeds)
    if rule == "expert":
        return _training_work(params, config, dataset, _sizes(config, dataset)[0], 1)
    if rule not in METHODS:
        raise ValueError(f"no work model for {rule!r}")
    return METHODS[rule].work(params, _distill_job(config, dataset, params, ipc))


def _distill_job(config: dict, dataset: str, params: dict, ipc: int) -> Job:
    """A pool variant's job is sized for the largest network of its pool."""
    specs = list(params.get("pool_arch_specs", {}).values()) or ([params["arch_spec"]] if "arch_spec" in params else [])
    flops = max((image_flops(spec, config, dataset) for spec in specs), default=0.0)
    return Job(dataset_of(config, dataset).classes, ipc, flops)


def gpu_request(config: dict) -> int:
    """GPUs per compute job: 1 where the config says ``device: cuda``, else 0.

    The config alone decides, never the host that parses the workflow: a
    cluster's login node has no GPU, and its plan must equal a GPU node's.
    ``auto`` asks for none (a job then trains on a GPU only where its node has
    one, and warns where it has none); a run that needs GPUs says ``cuda``.
    """
    return int(config["device"] == "cuda")


def device_seconds(work: tuple[float, float], config: dict) -> float:
    """The expected seconds of ``work`` on the device, at ``resources.gpu_flops``
    and scaled by ``resources.runtime_factor``: the cost plan's figure, and the
    runtime requests' before their safety factor and floor."""
    flops, steps = work
    resources = config["resources"]
    return (flops / resources["gpu_flops"] + steps * STEP_SECONDS) * resources["runtime_factor"]


def runtime_minutes(work: tuple[float, float], config: dict) -> int:
    """Minutes to request for ``work``: its device seconds times the factor of safety, at least the floor."""
    return max(MIN_MINUTES, math.ceil(device_seconds(work, config) * SAFETY / 60))


def mem_mb(rule: str, config: dict, dataset: str, params=None, ipc: int = 1) -> int:
    """Host MB: the dataset as float32, the largest batch in flight with its
    activations (x 64 floats per input float, for a 128-wide network; on a GPU
    they live in its memory, but so a CPU node fits too), and the base."""
    pixels = _pixels(config, dataset)
    data = 4 * pixels * sum(_sizes(config, dataset))
    classes = dataset_of(config, dataset).classes
    if rule in METHODS:
        batch = METHODS[rule].batch(params, _distill_job(config, dataset, params, ipc))
    elif rule == "evaluate":
        batch = min(classes * ipc, config["evaluation"]["batch"]) * len(config["evaluation"]["eval_seeds"])
    else:
        batch = config["evaluation"]["test_batch"]
    activations = 4 * pixels * batch * 64
    return BASE_MB + math.ceil((data + activations) / 2**20)
