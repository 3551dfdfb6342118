"""Every network of the zoo builds and runs at 8, 28, 32 and 64 px, 1 or 3 channels."""

import pytest
import torch

from ddlaws.nn.models import AvgPool2x2, build_model, has_batch_norm, init_model
from ddlaws.plan.configs import ConfigError

SPECS = [
    {"net": "convnet"},
    {"net": "convnet", "width": 32, "depth": 2, "norm": "batch", "activation": "sigmoid", "pooling": "max"},
    {"net": "convnet", "width": 16, "depth": 1, "norm": "layer", "activation": "leakyrelu", "pooling": "none"},
    {"net": "convnet", "width": 16, "depth": 3, "norm": "group", "activation": "swish"},
    {"net": "convnet", "width": 16, "norm": "none"},
    {"net": "mlp"},
    {"net": "lenet"},
    {"net": "alexnet"},
    {"net": "alexnet", "norm": "batch"},
    {"net": "vgg11"},
    {"net": "vgg11", "norm": "batch"},
    {"net": "resnet18"},
    {"net": "resnet18", "norm": "batch", "downsample": "avgpool"},
]


@pytest.mark.parametrize("size", [8, 28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: "-".join(f"{v}" for v in s.values()))
def test_shapes(spec, channels, size):
    model = build_model(spec, channels, 10, size)
    x = torch.randn(2, channels, size, size)
    assert model(x).shape == (2, 10)
    features = model.embed(x)
    assert features.shape[0] == 2 and features.dim() == 2
    assert model.classifier.in_features == features.shape[1]


def test_batch_norm_detection():
    assert has_batch_norm(build_model({"net": "vgg11", "norm": "batch"}, 3, 10, 32))
    assert not has_batch_norm(build_model({"net": "convnet"}, 3, 10, 32))


def test_init_depends_on_seed_only():
    torch.manual_seed(123)
    a = init_model({"net": "convnet", "width": 8}, 1, 10, 8, seed=5)
    torch.manual_seed(456)
    b = init_model({"net": "convnet", "width": 8}, 1, 10, 8, seed=5)
    c = init_model({"net": "convnet", "width": 8}, 1, 10, 8, seed=6)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb)
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()) if pa.dim() > 1)


def test_rejects_bad_specs():
    with pytest.raises(ConfigError, match="depth"):
        build_model({"net": "mlp", "depth": 3}, 1, 10, 8)
    with pytest.raises(ValueError, match="below 1 px"):
        build_model({"net": "convnet", "depth": 4}, 1, 10, 8)


@pytest.mark.parametrize("side", [8, 7, 16])
def test_average_pool_equals_torch_kernel(side):
    """The CPU pool of strided adds is torch's 2x2 average pool, odd sides included, with its gradient."""
    x = torch.randn(3, 4, side, side + 1, requires_grad=True)
    ours = AvgPool2x2()(x)
    theirs = torch.nn.functional.avg_pool2d(x, 2)
    assert torch.allclose(ours, theirs, atol=1e-6)
    weights = torch.randn_like(ours)
    (g_ours,) = torch.autograd.grad((ours * weights).sum(), x)
    (g_theirs,) = torch.autograd.grad((theirs * weights).sum(), x)
    assert torch.allclose(g_ours, g_theirs, atol=1e-6)
