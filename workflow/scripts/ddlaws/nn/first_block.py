"""A ConvNet's first block (conv -> instance norm -> activation -> 2x2 pool) as one GEMM.

Why: on the CPU this block dominates a ConvNet's memory traffic. Its input has
few channels, so the convolution runs far below the matmul peak, and the norm,
activation and pool each make a full pass over the largest activation of the
network (e.g. 128 x 32 x 32 per image). The distillation methods push thousands
of real images through it per step.

The conv is linear in the image patches ``p`` (``K = C_in * k * k`` rows, one
column per output pixel), so instance-norm statistics follow from a tiny
``K x K`` patch covariance ``G`` per image:

    mean_o = w_o . mean(p) + b_o,    var_o = w_o^T G w_o.

The normalised output is then a per-image GEMM with the rescaled kernel
``(gamma_o / std_o) w_o`` plus a per-image shift, which needs no pass over the
conv output at all (the shift rides in the GEMM on a row of ones). The patch
columns are ordered by position in the 2x2 pool window, so the GEMM yields the
four window positions as separate blocks and the pool reduces over them.

Everything is made of differentiable torch ops, so gradients (including the
double backward of gradient matching) and ``torch.func`` transforms work as
for the layer-by-layer block; the result equals it up to float rounding.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair


def applies(conv: nn.Conv2d, norm: nn.Module, pool: nn.Module, side: int) -> bool:
    """Whether the block can run fused: an instance norm and, when it pools, an even output side."""
    instance = isinstance(norm, nn.GroupNorm) and norm.num_groups == norm.num_channels and norm.affine
    pools = isinstance(pool, (nn.AvgPool2d, nn.MaxPool2d))
    if pools and not (_pair(pool.kernel_size) == _pair(pool.stride) == (2, 2) and _pair(pool.padding) == (0, 0)):
        return False
    plain = conv.stride == (1, 1) and conv.dilation == (1, 1) and conv.groups == 1 and conv.padding_mode == "zeros"
    return instance and plain and (not pools or side % 2 == 0)


@functools.lru_cache(maxsize=32)
def _pool_window_order(height: int, width: int, device: torch.device) -> torch.Tensor:
    """Column permutation that groups output pixels by their position inside the 2x2 pool window."""
    i = torch.arange(height).view(-1, 1).expand(height, width)
    j = torch.arange(width).view(1, -1).expand(height, width)
    quarter = (height // 2) * (width // 2)
    key = ((i % 2) * 2 + j % 2) * quarter + (i // 2) * (width // 2) + j // 2
    return torch.argsort(key.flatten()).to(device)


def conv_instance_norm_block(x: torch.Tensor, conv: nn.Conv2d, norm: nn.GroupNorm, act: nn.Module,
                             pool: nn.Module) -> torch.Tensor:
    """``pool(act(norm(conv(x))))`` for ``x`` of shape ``[B, C, H, W]``, computed as one GEMM."""
    k, pad = conv.kernel_size, conv.padding
    batch = x.shape[0]
    height = x.shape[-2] + 2 * pad[0] - k[0] + 1
    width = x.shape[-1] + 2 * pad[1] - k[1] + 1
    pooled = isinstance(pool, (nn.AvgPool2d, nn.MaxPool2d))
    patches = F.unfold(x, k, padding=pad)  # [B, K, L]
    if pooled:
        patches = patches.index_select(-1, _pool_window_order(height, width, x.device))
    w = conv.weight.flatten(1)  # [O, K]
    mean_patch = patches.mean(-1)  # [B, K]
    centred = patches - mean_patch.unsqueeze(-1)
    cov = centred @ centred.transpose(1, 2) / patches.shape[-1]  # [B, K, K]
    var = ((w @ cov) * w).sum(-1)  # [B, O]
    scale = norm.weight * torch.rsqrt(var + norm.eps)
    mean_conv = mean_patch @ w.t()
    # z - mean(z) for z = w.p + b: the bias enters both terms, so its gradient is 0, as unfused
    centre = -mean_conv if conv.bias is None else conv.bias - (mean_conv + conv.bias)
    shift = norm.bias + scale * centre
    # the shift rides in the GEMM as a row of ones under the patches: no extra pass over its output
    kernel = torch.cat([scale.unsqueeze(-1) * w, shift.unsqueeze(-1)], -1)  # [B, O, K + 1]
    patches = torch.cat([patches, patches.new_ones(batch, 1, patches.shape[-1])], 1)
    if not pooled:
        return act(kernel @ patches).view(batch, -1, height, width)
    # one GEMM per pool-window position: [B, 4, O, L/4], so the pool reduces over a leading dim
    windows = act(kernel.unsqueeze(1) @ patches.view(batch, patches.shape[1], 4, -1).transpose(1, 2))
    out = windows.sum(1) * 0.25 if isinstance(pool, nn.AvgPool2d) else windows.amax(1)
    return out.view(batch, -1, height // 2, width // 2)
