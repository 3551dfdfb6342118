"""The model zoo of the dataset-distillation literature, as plain ``nn.Module``s.

Every network takes ``[B, C, H, W]`` images and returns logits. ``embed(x)``
returns the flattened features before the final Linear (``classifier``), which
distribution matching uses. All networks build at 8, 28, 32 and 64 px (and
larger), with 1 or 3 channels: where the reference design would pool a map
below 1 px the pool is skipped, and the final feature size is inferred.

``build_model(spec, ...)`` turns a spec dict from the config (``net`` plus its
options) into a module.
"""

from __future__ import annotations

import torch
from torch import nn

from ..plan.options import NETS, net_options
from . import first_block

NORMS = ("none", "batch", "layer", "instance", "group")
ACTIVATIONS = ("relu", "sigmoid", "leakyrelu", "swish")
POOLINGS = ("avg", "max", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Instance norm is GroupNorm(C, C) and layer norm GroupNorm(1, C), both affine,
    so one module works at every resolution."""
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.GroupNorm(channels, channels, affine=True)
    if kind == "layer":
        return nn.GroupNorm(1, channels, affine=True)
    if kind == "group":
        return nn.GroupNorm(4, channels, affine=True)
    raise ValueError(f"unknown norm {kind!r}; choose from {NORMS}")


def activation(kind: str) -> nn.Module:
    if kind == "relu":
        return nn.ReLU()
    if kind == "sigmoid":
        return nn.Sigmoid()
    if kind == "leakyrelu":
        return nn.LeakyReLU(0.01)
    if kind == "swish":
        return nn.SiLU()
    raise ValueError(f"unknown activation {kind!r}; choose from {ACTIVATIONS}")


class AvgPool2x2(nn.AvgPool2d):
    """2x2 average pool. On the CPU it runs as two strided adds, several times faster than
    ``avg_pool2d``'s kernel there, forward and backward; an odd side drops its last row or
    column, as ``avg_pool2d`` does."""

    def __init__(self):
        super().__init__(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type != "cpu":
            return super().forward(x)
        h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
        rows = x[..., 0:h:2, :w] + x[..., 1:h:2, :w]
        return (rows[..., 0::2] + rows[..., 1::2]) * 0.25


def pooling(kind: str) -> nn.Module:
    if kind == "avg":
        return AvgPool2x2()
    if kind == "max":
        return nn.MaxPool2d(2)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown pooling {kind!r}; choose from {POOLINGS}")


def batch_norm_layers(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def has_batch_norm(model: nn.Module) -> bool:
    return bool(batch_norm_layers(model))


@torch.no_grad()
def _flat_size(features: nn.Module, channels: int, im_size: int) -> int:
    was_training = features.training
    features.eval()
    size = features(torch.zeros(2, channels, im_size, im_size)).flatten(1).shape[1]
    features.train(was_training)
    return size


class Classifier(nn.Module):
    """features -> flatten -> classifier; the shared shape of every net here."""

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(x))


class ConvNet(Classifier):
    """depth x [conv3x3 -> norm -> act -> pool], then one Linear (28 px is padded to 32)."""

    def __init__(self, channels, num_classes, im_size, width=128, depth=3, norm="instance",
                 activation_kind="relu", pooling_kind="avg"):
        super().__init__()
        layers, c, side = [], channels, im_size
        for i in range(depth):
            pad = 3 if (i == 0 and im_size == 28) else 1
            side = side + 2 * pad - 2
            layers += [nn.Conv2d(c, width, 3, padding=pad), norm_layer(norm, width), activation(activation_kind)]
            if pooling_kind != "none":
                if side < 2:
                    raise ValueError(f"ConvNet depth {depth} pools a {im_size} px image below 1 px; "
                                     f"use depth <= {i} or pooling 'none'")
                side //= 2
            layers.append(pooling(pooling_kind))
            if i == 0:
                self.fused_first_block = first_block.applies(*layers[:2], layers[3], im_size + 2 * pad - 2)
            c = width
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(_flat_size(self.features, channels, im_size), num_classes)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """On the CPU an instance-norm first block runs as one GEMM (``first_block``); same function."""
        if self.fused_first_block and x.device.type == "cpu":
            return self.features[4:](first_block.conv_instance_norm_block(x, *self.features[:4])).flatten(1)
        return super().embed(x)


class MLP(Classifier):
    def __init__(self, channels, num_classes, im_size, width=128):
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(channels * im_size * im_size, width), nn.ReLU(),
                                      nn.Linear(width, width), nn.ReLU())
        self.classifier = nn.Linear(width, num_classes)


class LeNet(Classifier):
    """LeNet-5; the second conv is padded too below 16 px so that 8 px images fit."""

    def __init__(self, channels, num_classes, im_size):
        super().__init__()
        conv = nn.Sequential(
            nn.Conv2d(channels, 6, 5, padding=2 if channels == 1 else 0), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2 if im_size < 16 else 0), nn.ReLU(), nn.MaxPool2d(2))
        self.features = nn.Sequential(*conv, nn.Flatten(), nn.Linear(_flat_size(conv, channels, im_size), 120),
                                      nn.ReLU(), nn.Linear(120, 84), nn.ReLU())
        self.classifier = nn.Linear(84, num_classes)


def _pool_if_room(side: int) -> tuple[nn.Module, int]:
    return (nn.MaxPool2d(2), side // 2) if side >= 2 else (nn.Identity(), side)


class AlexNet(Classifier):
    """The small CIFAR AlexNet of the DD literature (norm 'batch' gives the BN variant)."""

    def __init__(self, channels, num_classes, im_size, norm="none"):
        super().__init__()
        pad0 = 4 if im_size == 28 else 2
        spec = [(128, 5, pad0, True), (192, 5, 2, True), (256, 3, 1, False), (192, 3, 1, False), (192, 3, 1, True)]
        layers, c, side = [], channels, im_size
        for out, k, pad, pool in spec:
            side = side + 2 * pad - k + 1
            layers += [nn.Conv2d(c, out, k, padding=pad), norm_layer(norm, out), nn.ReLU()]
            if pool:
                module, side = _pool_if_room(side)
                layers.append(module)
            c = out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(_flat_size(self.features, channels, im_size), num_classes)


VGG11_LAYERS = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


class VGG11(Classifier):
    """VGG11 with instance norm by default ('batch' gives the BN variant)."""

    def __init__(self, channels, num_classes, im_size, norm="instance"):
        super().__init__()
        layers, c, side = [], channels, im_size
        for i, item in enumerate(VGG11_LAYERS):
            if item == "M":
                module, side = _pool_if_room(side)
                layers.append(module)
                continue
            pad = 3 if (i == 0 and im_size == 28) else 1
            side = side + 2 * pad - 2
            layers += [nn.Conv2d(c, item, 3, padding=pad), norm_layer(norm, item), nn.ReLU()]
            c = item
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(_flat_size(self.features, channels, im_size), num_classes)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, norm, downsample):
        super().__init__()
        # 'avgpool' (the _AP variant) replaces a strided conv by conv + AvgPool
        conv_stride = stride if downsample == "stride" else 1
        pool = nn.AvgPool2d(2) if (stride != 1 and downsample == "avgpool") else nn.Identity()
        self.main = nn.Sequential(
            nn.Conv2d(cin, cout, 3, stride=conv_stride, padding=1, bias=False), pool, norm_layer(norm, cout),
            nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1, bias=False), norm_layer(norm, cout))
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=conv_stride, bias=False),
                                          nn.AvgPool2d(2) if stride != 1 and downsample == "avgpool" else nn.Identity(),
                                          norm_layer(norm, cout))
        else:
            self.shortcut = nn.Identity()

    def forward(self, x):
        return torch.relu(self.main(x) + self.shortcut(x))


class ResNet18(Classifier):
    """CIFAR-style ResNet18: 3x3 stem, no max-pool, BasicBlocks [2, 2, 2, 2], global
    average pool (equal to the reference's 4x4 pool at 32 px, and defined at any size)."""

    def __init__(self, channels, num_classes, im_size, norm="instance", downsample="stride"):
        super().__init__()
        if downsample not in ("stride", "avgpool"):
            raise ValueError(f"unknown downsample {downsample!r}; choose 'stride' or 'avgpool'")
        layers = [nn.Conv2d(channels, 64, 3, padding=1, bias=False), norm_layer(norm, 64), nn.ReLU()]
        cin, side = 64, im_size
        for i, cout in enumerate((64, 128, 256, 512)):
            for j in range(2):
                stride = 2 if (i > 0 and j == 0 and side >= 2) else 1
                side = side // stride
                layers.append(BasicBlock(cin, cout, stride, norm, downsample))
                cin = cout
        layers.append(nn.AdaptiveAvgPool2d(1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(512, num_classes)


def build_model(spec: dict, channels: int, num_classes: int, im_size: int) -> nn.Module:
    """Build the network a config spec names, e.g. ``{"net": "convnet", "width": 64}``."""
    from ..plan.options import check_arch_spec

    check_arch_spec(spec)
    opts = net_options(spec)
    net = spec["net"]
    if net == "convnet":
        return ConvNet(channels, num_classes, im_size, width=opts["width"], depth=opts["depth"], norm=opts["norm"],
                       activation_kind=opts["activation"], pooling_kind=opts["pooling"])
    if net == "mlp":
        return MLP(channels, num_classes, im_size, width=opts["width"])
    if net == "lenet":
        return LeNet(channels, num_classes, im_size)
    if net == "alexnet":
        return AlexNet(channels, num_classes, im_size, norm=opts["norm"])
    if net == "vgg11":
        return VGG11(channels, num_classes, im_size, norm=opts["norm"])
    if net == "resnet18":
        return ResNet18(channels, num_classes, im_size, norm=opts["norm"], downsample=opts["downsample"])
    raise ValueError(f"unknown net {net!r}; choose from {sorted(NETS)}")


def init_model(spec: dict, channels: int, num_classes: int, im_size: int, seed: int,
               device="cpu") -> nn.Module:
    """A freshly initialised model whose weights depend on ``seed`` only (not on the global RNG)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_model(spec, channels, num_classes, im_size)
    return model.to(device)


def flat_params(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])
