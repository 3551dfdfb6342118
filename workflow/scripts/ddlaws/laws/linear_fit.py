"""Straight-line fits with honest uncertainty, shared by both laws.

OLS with HC3 heteroscedasticity-robust standard errors (the default), or WLS
weighted by 1/var. HC3 needs every point's leverage below 1, so a line needs at
least three points at two or more distinct x; with fewer, the fit is reported
with NaN intervals rather than invented ones.
"""

from __future__ import annotations

import math

import numpy as np
import statsmodels.api as sm

FIELDS = ("n", "intercept", "intercept_se", "intercept_ci_low", "intercept_ci_high",
          "slope", "slope_se", "slope_ci_low", "slope_ci_high", "slope_pvalue", "r2")


def fit_line(x, y, estimator: str = "ols", variance=None, confidence: float = 0.95) -> dict:
    """Fit ``y = intercept + slope * x``; returns the FIELDS as a dict."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    out = dict.fromkeys(FIELDS, math.nan)
    out.update(n=len(x), estimator="none")
    if len(x) < 2 or np.unique(x).size < 2:
        return out
    design = sm.add_constant(x, has_constant="add")
    use_wls = estimator == "wls" and variance is not None
    if use_wls:
        var = np.asarray(variance, dtype=float)[keep]
        use_wls = bool(np.all(np.isfinite(var)) and np.all(var > 0))
    model = sm.WLS(y, design, weights=1.0 / var) if use_wls else sm.OLS(y, design)
    robust = len(x) >= 3 and not use_wls
    result = model.fit(cov_type="HC3") if robust else model.fit()
    out.update(intercept=float(result.params[0]), slope=float(result.params[1]), r2=float(result.rsquared))
    if len(x) >= 3:
        ci = np.asarray(result.conf_int(alpha=1 - confidence))
        se = np.asarray(result.bse)
        out.update(intercept_se=float(se[0]), slope_se=float(se[1]),
                   intercept_ci_low=float(ci[0, 0]), intercept_ci_high=float(ci[0, 1]),
                   slope_ci_low=float(ci[1, 0]), slope_ci_high=float(ci[1, 1]),
                   slope_pvalue=float(result.pvalues[1]))
    out["estimator"] = "wls" if use_wls else ("ols-hc3" if robust else "ols")
    return out
