"""The saturating power law Δ = ε + C·k^(−α), with the floor held at ε ≥ 0.

ε is a floor: the gap that no number of distilled images removes, so it cannot
be negative. For a fixed α the model is a straight line in z = k^(−α), and
least squares under ε ≥ 0 has a closed form: the free line where its
intercept is ≥ 0, else the line through the origin. (A convex quadratic in
(ε, C) whose free minimum violates the one bound has its constrained minimum
on the bound.) The free exponent is then profiled over a grid of α: variable
projection, which needs no starting values and cannot wander off.

Every function takes a stack of responses ``y`` of shape [B, n] that share one
k, so the bootstrap fits all its resamples in a few array operations.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

ALPHA_MAX = 4.0
ALPHA_GRID = np.linspace(ALPHA_MAX / 400, ALPHA_MAX, 400)


def line_fit(z: np.ndarray, y: np.ndarray, floor_at_zero: bool = True):
    """Least squares y ≈ ε + C·z for every row of y [B, n] and every row of z [A, n].

    Returns (ε, C, SSE), each [B, A]; with ``floor_at_zero`` ε is held ≥ 0.
    """
    z = np.atleast_2d(np.asarray(z, dtype=float))
    y = np.atleast_2d(np.asarray(y, dtype=float))
    z_mean, y_mean = z.mean(axis=1), y.mean(axis=1)
    zc, yc = z - z_mean[:, None], y - y_mean[:, None]
    s_zz = np.einsum("an,an->a", zc, zc)
    s_zy = yc @ zc.T
    slope = s_zy / s_zz
    intercept = y_mean[:, None] - slope * z_mean[None, :]
    sse = np.einsum("bn,bn->b", yc, yc)[:, None] - s_zy * slope
    if floor_at_zero:
        through_origin = (y @ z.T) / np.einsum("an,an->a", z, z)
        sse_origin = np.einsum("bn,bn->b", y, y)[:, None] - (y @ z.T) * through_origin
        negative = intercept < 0
        intercept = np.where(negative, 0.0, intercept)
        slope = np.where(negative, through_origin, slope)
        sse = np.where(negative, sse_origin, sse)
    return intercept, slope, np.maximum(sse, 0.0)


def fixed_exponent_fit(k, y, alpha: float = 0.5, floor_at_zero: bool = True):
    """Δ = ε + C·k^(−α) at a given α, for every row of y: (ε, C, SSE), each [B]."""
    z = np.asarray(k, dtype=float) ** -alpha
    eps, c, sse = line_fit(z, y, floor_at_zero)
    return eps[:, 0], c[:, 0], sse[:, 0]


def free_exponent_fit(k, y, refine: bool = False):
    """Δ = ε + C·k^(−α), ε ≥ 0, α profiled over (0, ALPHA_MAX]: (ε, C, α, SSE), each [B].

    The grid step is 0.01; ``refine`` polishes each row's α with a bounded
    scalar search next to its best grid point (for the point estimate; the
    bootstrap resamples keep the grid).
    """
    k = np.asarray(k, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    z = k[None, :] ** -ALPHA_GRID[:, None]
    eps, c, sse = line_fit(z, y)
    best = np.argmin(sse, axis=1)
    rows = np.arange(y.shape[0])
    out = [eps[rows, best], c[rows, best], ALPHA_GRID[best], sse[rows, best]]
    if refine:
        for b in rows:
            lo = ALPHA_GRID[max(best[b] - 1, 0)]
            hi = ALPHA_GRID[min(best[b] + 1, ALPHA_GRID.size - 1)]
            res = optimize.minimize_scalar(lambda a: fixed_exponent_fit(k, y[b:b + 1], a)[2][0],
                                           bounds=(lo, hi), method="bounded")
            if res.fun < out[3][b]:
                e, s, _ = fixed_exponent_fit(k, y[b:b + 1], float(res.x))
                out[0][b], out[1][b], out[2][b], out[3][b] = e[0], s[0], float(res.x), float(res.fun)
    return tuple(out)

