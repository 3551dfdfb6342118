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

A gap that falls faster than 1/√k also bends in x; the free exponent
(``free_exponent``) tells the two apart.
"""

from __future__ import annotations

import math

import numpy as np
import statsmodels.api as sm
from scipy import stats

MIN_DISTINCT_K_PER_SEGMENT = 2
FIELDS = ("k_sat", "floor", "saturation_pvalue", "saturated")


def _hinge(x: np.ndarray, y: np.ndarray, x_break: float):
    return sm.OLS(y, sm.add_constant(np.maximum(x - x_break, 0.0), has_constant="add")).fit()


def best_hinge(k, y):
    """(k_b, fit) of the hinge with the least residual sum of squares, or None where too few k."""
    k = np.asarray(k, dtype=float)
    y = np.asarray(y, dtype=float)
    levels = np.unique(k)
    candidates = levels[MIN_DISTINCT_K_PER_SEGMENT:len(levels) - MIN_DISTINCT_K_PER_SEGMENT + 1]
    if candidates.size == 0 or len(y) < 4:
        return None
    x = 1.0 / np.sqrt(k)
    fits = {k_break: _hinge(x, y, 1.0 / math.sqrt(k_break)) for k_break in candidates}
    k_break = min(fits, key=lambda kb: fits[kb].ssr)
    return k_break, fits[k_break], candidates.size


def saturation_fit(k, y, confidence: float = 0.95) -> dict:
    """Test Δ(k) for a floor reached at an observed k; returns the FIELDS as a dict."""
    k = np.asarray(k, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(k) & np.isfinite(y) & (k > 0)
    k, y = k[keep], y[keep]
    out = {"k_sat": math.nan, "floor": math.nan, "saturation_pvalue": math.nan, "saturated": False}
    found = best_hinge(k, y)
    if found is None:
        return out
    k_break, hinge, searched = found
    line_sse = sm.OLS(y, sm.add_constant(1.0 / np.sqrt(k), has_constant="add")).fit().ssr
    residual_df = len(y) - 3
    with np.errstate(divide="ignore", invalid="ignore"):
        f_stat = (line_sse - hinge.ssr) / (hinge.ssr / residual_df)
    if np.isnan(f_stat):  # both fits exact: nothing to compare
        return out
    pvalue = min(1.0, float(stats.f.sf(f_stat, 1, residual_df)) * searched)
    saturated = pvalue < 1.0 - confidence and hinge.params[1] > 0
    out.update(saturation_pvalue=pvalue, saturated=bool(saturated))
    if saturated:
        out.update(k_sat=float(k_break), floor=float(hinge.params[0]))
    return out
