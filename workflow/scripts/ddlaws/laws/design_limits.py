"""What a table's design lets the laws fit, per (dataset, method): said in words, not left as NaN to decode.

The pipeline measures many k under many configurations with eval seeds; a
published table gives three k (1, 10, 50), one configuration and a mean ± sd.
The fits run on either and leave NaN where a table is too small, and a NaN
does not say why. The rules here are the fits' own minimums, so the reasons
are theirs:

* the free exponent needs three k and four points (``scaling_fit``), and an
  AICc, n > p + 1 = 4 (``model_choice``), to be chosen over the line: three k
  with a floor are three parameters on three points;
* the hinge needs two k on each side of its breakpoint (``saturation``), four k;
* an interval needs a spread: two distilled sets per k, or two eval seeds (or
  an sd with n ≥ 2) for the sets and the references; with one set per k its
  effect is estimated from the K − 2 residual degrees of freedom of the k;
* the pooled law's interval redraws configurations, and the coverage law and
  the test of one curve for every configuration (``heterogeneity``: two
  configurations and four k) compare them: each needs two or more;
* a comparison needs two methods, an IOR random selection (``ranking``).
"""

from __future__ import annotations

import pandas as pd

from .model_choice import PARAMETERS
from .ranking import BASELINE
from .saturation import MIN_DISTINCT_K_PER_SEGMENT

FREE_EXPONENT_K = 3
HINGE_K = 2 * MIN_DISTINCT_K_PER_SEGMENT
HETEROGENEITY_K = 4


def _cannot(frame: pd.DataFrame, methods: int, has_random: bool) -> list[str]:
    """What one (dataset, method, label regime)'s rows of a gap table cannot fit, each with its reason."""
    k, n = frame["ipc"].nunique(), len(frame)
    configs = frame["config"].nunique()
    sets = int(frame.groupby("ipc")["seed"].nunique().min())
    seeds = int(min(frame["n_eval"].min(), frame["n_ref"].min())) if {"n_eval", "n_ref"} <= set(frame) else 1
    out = []
    richer = PARAMETERS["free exponent"]
    if k < FREE_EXPONENT_K or n <= richer:
        out.append(f"no free exponent α: Δ = ε + C·k^(−α) has {richer} parameters and needs {FREE_EXPONENT_K} k "
                   f"and more than {richer} points (here {k} k and {n} points)")
    elif n <= richer + 1:
        out.append(f"the free exponent is fitted, as sensitivity, but cannot be chosen: its AICc is undefined on "
                   f"{n} points (n ≤ p + 1)")
    if k < HINGE_K:
        out.append(f"no hinge and no test for saturation: they need {HINGE_K} k, two on each side of the breakpoint")
    if n <= richer + 1 or k < FREE_EXPONENT_K:
        out.append("so every finding is read off the law's line, untested against a richer shape")
    if sets < 2 and seeds < 2:
        out.append("no interval: one distilled set per k and one evaluation per point carry no spread (give eval "
                   "seeds, or an sd with n ≥ 2)")
    elif sets < 2 and k <= 2:
        out.append("intervals redraw the eval seeds only, holding the distilled sets fixed: with one set per k, "
                   "two k leave no residual to estimate a set's effect from")
    elif sets < 2 and k - 2 < 3:
        out.append(f"wide intervals: the one distilled set per k's effect is estimated from the scatter of the "
                   f"{k} k about the line, {k - 2} degree{'s' * (k != 3)} of freedom")
    if configs < 2:
        out.append("no configuration-resampled interval: with one configuration the pooled law is that "
                   "configuration's fit, its interval conditional on it; between methods, the differences of the "
                   "law's ε, C and α get no interval")
        out.append("no coverage law (c, the required size over a family, the entropy from the gap profiles): "
                   "it needs two or more configurations")
    if configs < 2 or k < HETEROGENEITY_K:
        out.append(f"no test of one curve for every configuration: it needs two configurations and "
                   f"{HETEROGENEITY_K} k")
    if methods < 2:
        out.append("no comparison between methods: one method")
    if not has_random:
        out.append(f"no IOR (improvement over random selection): no `{BASELINE}` method in the table")
    return out


def design_limits(gaps: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, method, label regime): its k, configurations and points, and ``cannot``, what the laws
    cannot fit from them (an empty list where nothing is missing)."""
    rows = []
    for (dataset, regime), data in gaps.groupby(["dataset", "label_regime"], sort=True):
        methods = data["method"].nunique()
        has_random = BASELINE in set(gaps.loc[gaps["dataset"] == dataset, "method"])
        for method, frame in data.groupby("method", sort=True):
            rows.append({"dataset": dataset, "method": method, "label_regime": regime,
                         "ipcs": " ".join(str(int(v)) for v in sorted(frame["ipc"].unique())),
                         "n_configs": frame["config"].nunique(), "n": len(frame),
                         "cannot": _cannot(frame, methods, has_random)})
    return pd.DataFrame(rows, columns=["dataset", "method", "label_regime", "ipcs", "n_configs", "n", "cannot"])
