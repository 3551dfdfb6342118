"""The building blocks a config names, each with its options and their defaults.

One table per kind: networks (by ``net``), augmentations and optimizers (by
``type``). It is the one source of these names and defaults: the config
checks (``ddlaws.plan.configs``) accept exactly the options listed here, the
builders (``nn.models``, ``data.augment``, ``data.dsa``, ``train.engine``,
``train.stacked``) fill what a spec leaves out from here, and a test keeps the
schema's lists in step with it. The check that a spec uses only its options
lives here too, with ``ConfigError``, so that a builder can run it without
importing the whole config vocabulary (whose every edit would then re-run the
jobs that build networks). Pure Python, for the parse step.
"""

from __future__ import annotations

NETS = {
    "convnet": {"width": 128, "depth": 3, "norm": "instance", "activation": "relu", "pooling": "avg"},
    "mlp": {"width": 128},
    "lenet": {},
    "alexnet": {"norm": "none"},
    "vgg11": {"norm": "instance"},
    "resnet18": {"norm": "instance", "downsample": "stride"},
}
AUGMENTATIONS = {
    "none": {},
    "crop_flip": {"pad": 4, "flip": True},
    "dsa": {"strategy": "color_crop_cutout_flip_scale_rotate", "brightness": 1.0, "saturation": 2.0,
            "contrast": 0.5, "crop": 0.125, "cutout": 0.5, "flip": 0.5, "scale": 1.2, "rotate": 15.0},
}
# the lr has no default: every optimizer entry of a config sets it
OPTIMIZERS = {
    "sgd": {"lr": None, "momentum": 0.9, "weight_decay": 0.0},
    "adam": {"lr": None, "betas": [0.9, 0.999], "weight_decay": 0.0},
}


def net_options(spec: dict) -> dict:
    """A network spec's options (all but ``net``), defaults filled in."""
    return {**NETS[spec["net"]], **{k: v for k, v in spec.items() if k != "net"}}


def augmentation_options(spec: dict) -> dict:
    """An augmentation spec's options (all but ``type``), defaults filled in."""
    return {**AUGMENTATIONS[spec["type"]], **{k: v for k, v in spec.items() if k != "type"}}


def optimizer_spec(spec: dict) -> dict:
    """An optimizer spec, defaults filled in."""
    return {"type": spec["type"], **OPTIMIZERS[spec["type"]], **spec}


class ConfigError(ValueError):
    """A config that the workflow cannot run; the message names the key."""


def check_options(kind: str, where: str, spec: dict, allowed: dict) -> None:
    """``spec`` (at config key ``where``) takes only the options ``allowed`` (one of the tables above) lists."""
    family = spec.get("net", spec.get("type"))
    extra = set(spec) - {"net", "type"} - set(allowed[family])
    if extra:
        raise ConfigError(f"config key '{where}': option(s) {sorted(extra)} do not apply to {kind} "
                          f"{family!r} (allowed: {sorted(allowed[family]) or 'none'})")


def check_arch_spec(spec: dict, where: str = "architecture") -> None:
    if spec.get("net") not in NETS:
        raise ConfigError(f"config key '{where}.net': unknown net {spec.get('net')!r}; "
                          f"choose from {sorted(NETS)}")
    check_options("net", where, spec, NETS)
