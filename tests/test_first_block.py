"""The fused first ConvNet block computes the layer-by-layer function, with the same gradients."""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

from ddlaws.nn.models import build_model

FUSED = [
    ({"net": "convnet"}, 1, 28),
    ({"net": "convnet", "width": 32, "depth": 2}, 3, 32),
    ({"net": "convnet", "width": 16, "pooling": "max", "activation": "sigmoid"}, 1, 8),
    ({"net": "convnet", "width": 16, "depth": 1, "pooling": "none"}, 3, 8),
    ({"net": "convnet", "width": 16, "depth": 2, "activation": "swish"}, 1, 64),
]
IDS = ["-".join(f"{v}" for v in spec.values()) + f"-{c}ch-{s}px" for spec, c, s in FUSED]


def layerwise(net, x):
    return net.classifier(net.features(x).flatten(1))


def close(a, b, scale):
    """Equal up to float rounding, relative to the size of the whole gradient."""
    return (a - b).abs().max().item() <= 1e-4 * scale


@pytest.mark.parametrize("spec,channels,size", FUSED, ids=IDS)
def test_same_function_and_gradients(spec, channels, size):
    torch.manual_seed(0)
    net = build_model(spec, channels, 10, size)
    assert net.fused_first_block
    x = torch.randn(5, channels, size, size, requires_grad=True)
    y = torch.randint(0, 10, (5,))
    assert torch.allclose(net.embed(x), net.features(x).flatten(1), atol=1e-5, rtol=1e-4)
    inputs = list(net.parameters()) + [x]
    fused = torch.autograd.grad(F.cross_entropy(net(x), y), inputs, create_graph=True)
    plain = torch.autograd.grad(F.cross_entropy(layerwise(net, x), y), inputs, create_graph=True)
    scale = max(g.abs().max().item() for g in plain)
    for a, b in zip(fused, plain):
        assert close(a, b, scale)
    # double backward, as gradient matching takes it: d/dx of a function of the parameter gradients
    second = [torch.autograd.grad(sum((g ** 2).sum() for g in gs[:-1]), x)[0] for gs in (fused, plain)]
    assert close(*second, second[1].abs().max().item())


def test_stacked_models_under_vmap():
    torch.manual_seed(0)
    net = build_model({"net": "convnet", "width": 16, "depth": 2}, 1, 10, 28)
    x, y = torch.randn(4, 1, 28, 28), torch.randint(0, 10, (4,))
    params = {k: v.detach() for k, v in net.named_parameters()}
    stacked = {k: torch.stack([v, 1.5 * v]) for k, v in params.items()}

    def loss(p):
        return F.cross_entropy(functional_call(net, p, (x,)), y)

    grads = vmap(grad(loss))(stacked)
    for i, factor in enumerate((1.0, 1.5)):
        one = copy.deepcopy(net)
        one.load_state_dict({k: factor * v for k, v in params.items()})
        expected = torch.autograd.grad(F.cross_entropy(layerwise(one, x), y), list(one.parameters()))
        scale = max(g.abs().max().item() for g in expected)
        for name, g in zip(params, expected):
            assert close(grads[name][i], g, scale), name


@pytest.mark.parametrize("spec,size", [({"net": "convnet", "norm": "batch"}, 28),
                                       ({"net": "convnet", "norm": "layer"}, 28),
                                       ({"net": "convnet", "norm": "none"}, 28),
                                       ({"net": "convnet", "depth": 1}, 7)])
def test_other_blocks_run_layer_by_layer(spec, size):
    """Only an instance norm has per-image, per-channel statistics, and the pool needs an even side."""
    assert not build_model(spec, 1, 10, size).fused_first_block
