"""The free exponent: Δ = ε + C·k^(−α) with ε ≥ 0, to test whether the law's α = ½ holds.

For a fixed α the model is a straight line in k^(−α), so its residual sum of
squares S(α) is that of an ordinary least-squares line; α̂ minimises S (a grid
over (0, ALPHA_MAX], then a bounded scalar search next to the best grid point).
The interval is the profile-likelihood set in its F form,

    {α : (S(α) − S(α̂)) / (S(α̂) / (n − 3)) ≤ F(1, n − 3; confidence)},

which, unlike a Wald interval from the curvature at α̂, stays honest for the few
distinct k of a sweep and may be asymmetric. Where the set is not connected its
hull is reported. Where it reaches the end of the search the interval is open on
that side: the low end is then reported as 0 (a gap that shrinks with k has
α > 0) and the high end as inf. Three distinct k and four points are the least
that leave a residual degree of freedom.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from .power_law import line_fit

ALPHA_MAX = 4.0
ALPHA_GRID = np.linspace(ALPHA_MAX / 800, ALPHA_MAX, 800)
FIELDS = ("alpha", "alpha_ci_low", "alpha_ci_high")


def _residual_ss(alpha, k: np.ndarray, y: np.ndarray) -> np.ndarray:
    """S(α) of the least-squares curve ε + C·k^(−α) with ε ≥ 0, for one α or an array of them."""
    z = k[None, :] ** -np.atleast_1d(alpha)[:, None]
    return line_fit(z, y[None, :])[2][0]


def exponent_fit(k, y, confidence: float = 0.95) -> dict:
    """Fit the exponent α of Δ = a + b·k^(−α); returns the FIELDS as a dict."""
    k = np.asarray(k, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(k) & np.isfinite(y) & (k > 0)
    k, y = k[keep], y[keep]
    out = dict.fromkeys(FIELDS, math.nan)
    if np.unique(k).size < 3 or len(y) < 4:
        return out
    grid_ss = _residual_ss(ALPHA_GRID, k, y)
    best = int(np.argmin(grid_ss))
    bounds = (ALPHA_GRID[max(best - 1, 0)], ALPHA_GRID[min(best + 1, ALPHA_GRID.size - 1)])
    refined = optimize.minimize_scalar(lambda a: _residual_ss(a, k, y)[0], bounds=bounds, method="bounded")
    alpha, min_ss = ((float(refined.x), float(refined.fun)) if refined.fun < grid_ss[best]
                     else (float(ALPHA_GRID[best]), float(grid_ss[best])))
    threshold = min_ss * (1.0 + stats.f.ppf(confidence, 1, len(y) - 3) / (len(y) - 3))

    def excess(a: float) -> float:
        return float(_residual_ss(a, k, y)[0]) - threshold

    def edge(last_inside: float, first_outside: np.ndarray, open_end: float) -> float:
        """Where S crosses the threshold between the set's last α and the next α searched."""
        if first_outside.size == 0:
            return open_end
        if excess(last_inside) >= 0:  # an exact fit: the set is α̂ alone
            return last_inside
        return float(optimize.brentq(excess, *sorted((last_inside, float(first_outside[0])))))

    inside = np.append(ALPHA_GRID[grid_ss <= threshold], alpha)
    low = edge(inside.min(), ALPHA_GRID[ALPHA_GRID < inside.min()][::-1], 0.0)
    high = edge(inside.max(), ALPHA_GRID[ALPHA_GRID > inside.max()], math.inf)
    out.update(alpha=alpha, alpha_ci_low=low, alpha_ci_high=high)
    return out
