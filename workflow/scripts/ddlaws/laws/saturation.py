"""Saturation of the scaling law: the k beyond which more images stop closing the gap.

In x = 1/√k the law is a line; a saturating gap bends flat at small x (large k).
The continuous hinge Δ = c + b·max(x − x_b, 0) is flat at the floor c for
k ≥ k_b and a line above it. The breakpoint k_b is searched over the observed k
by minimum residual sum of squares, with at least two distinct k on each side
(the floor segment includes k_b itself), so that neither segment rests on a
single column of points; four distinct k are therefore the least that can show
saturation.

Putting k_b at the largest k gives back the plain line, so the hinge is the line
plus one parameter, and an F-test with one numerator degree of freedom compares
the two. Because k_b was picked to minimise the residuals, the nominal p-value
is optimistic; it is multiplied by the number of candidate breakpoints
(Bonferroni), so that the search alone does not flag a pure 1/√k line.
Saturation is declared when that p-value is below 1 − confidence and the gap
still falls with k before the breakpoint (b > 0). Both models are fitted
unweighted so that their residuals compare. The floor and k_sat are reported
only when saturation is declared: a hinge forced onto a straight line has no
floor worth reading.

For a fixed breakpoint the hinge is a line in z = max(x − x_b, 0), so every
candidate k_b is a closed-form least-squares line (``power_law.line_fit``) and
a stack of bootstrap resamples is fitted at once, as the other two shapes are.
The test fits it unconstrained, as it fits the line; the model choice
(``model_choice``) fits it with its floor held ≥ 0, as it fits the other two.

A gap that falls faster than 1/√k also bends in x; the free exponent
(``free_exponent``) tells the two apart.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from .power_law import fixed_exponent_fit, line_fit

MIN_DISTINCT_K_PER_SEGMENT = 2
FIELDS = ("k_sat", "floor", "saturation_pvalue", "saturated")


def breakpoints(k) -> np.ndarray:
    """The k the breakpoint is searched over: two or more distinct k on each side (k_b on the floor's)."""
    levels = np.unique(np.asarray(k, dtype=float))
    return levels[MIN_DISTINCT_K_PER_SEGMENT:len(levels) - MIN_DISTINCT_K_PER_SEGMENT + 1]


def hinge_fit(k, y, floor_at_zero: bool = True):
    """The hinge with the least SSE on every row of y [B, n]: (floor, b, k_b, SSE), each [B]; None where too few k.

    With ``floor_at_zero`` the floor is held ≥ 0.
    """
    k = np.asarray(k, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    candidates = breakpoints(k)
    if candidates.size == 0 or y.shape[1] < 4:
        return None
    z = np.maximum(1.0 / np.sqrt(k)[None, :] - 1.0 / np.sqrt(candidates)[:, None], 0.0)
    floor, b, sse = line_fit(z, y, floor_at_zero)
    best = np.argmin(sse, axis=1)
    rows = np.arange(y.shape[0])
    return floor[rows, best], b[rows, best], candidates[best], sse[rows, best]


def saturation_fit(k, y, confidence: float = 0.95) -> dict:
    """Test Δ(k) for a floor reached at an observed k; returns the FIELDS as a dict."""
    k = np.asarray(k, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(k) & np.isfinite(y) & (k > 0)
    k, y = k[keep], y[keep]
    out = {"k_sat": math.nan, "floor": math.nan, "saturation_pvalue": math.nan, "saturated": False}
    found = hinge_fit(k, y, floor_at_zero=False)
    if found is None:
        return out
    floor, slope, k_break, hinge_sse = (float(v[0]) for v in found)
    line_sse = float(fixed_exponent_fit(k, y[None, :], floor_at_zero=False)[2][0])
    residual_df = len(y) - 3
    with np.errstate(divide="ignore", invalid="ignore"):
        f_stat = np.float64(line_sse - hinge_sse) / (hinge_sse / residual_df)
    if np.isnan(f_stat):  # both fits exact: nothing to compare
        return out
    pvalue = min(1.0, float(stats.f.sf(f_stat, 1, residual_df)) * breakpoints(k).size)
    saturated = pvalue < 1.0 - confidence and slope > 0
    out.update(saturation_pvalue=pvalue, saturated=bool(saturated))
    if saturated:
        out.update(k_sat=k_break, floor=floor)
    return out
