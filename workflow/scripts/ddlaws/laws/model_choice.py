"""Which shape a row's findings are read off: one model for the floor, α, the saturation point and the sizes.

Three shapes are fitted to the same points, each with its floor held at ε ≥ 0:
the law's line Δ = ε + C/√k (2 parameters), the free exponent
Δ = ε + C·k^(−α) and the hinge Δ = ε + b·max(1/√k − 1/√k_b, 0) (3 each; the
hinge's breakpoint counts as one). Reading the floor off one, α off another
and the saturation point off the third would state three curves as one
finding, so each row chooses one, by a stated rule:

    the line, unless the better of the two 3-parameter shapes has an AICc
    lower by at least MIN_AICC_GAIN (2); then that one.

AICc rather than AIC because the fits are small: the pooled fit of the default
run has 40 points, a configuration's own fit 5, where AIC's penalty is too
light and a third parameter wins by chance. At n = 40 the correction adds 0.3
to the line and 0.7 to a 3-parameter shape; at n = 5 it adds 24 to the latter,
and where n ≤ p + 1 the AICc is undefined and the shape is no candidate. The
margin of 2 keeps the law unless the data speak against it (below 2, a shape
has no more support than the simpler one, Burnham & Anderson 2002). The bound
ε ≥ 0 is not counted off the parameters where it is active.

The choice is made again in every bootstrap resample (``scaling_fit``), so
the intervals of the chosen floor and α carry the uncertainty of the choice,
and the share of resamples each shape wins is reported beside the choice.
"""

from __future__ import annotations

import numpy as np

MODELS = ("line", "free exponent", "hinge")
PARAMETERS = {"line": 2, "free exponent": 3, "hinge": 3}
MIN_AICC_GAIN = 2.0


def aicc(sse, n: int, parameters: int):
    """Gaussian AICc, n·log(SSE/n) + 2p + 2p(p + 1)/(n − p − 1), up to a constant shared by fits to the same
    points; inf where n ≤ p + 1."""
    if n <= parameters + 1:
        return np.full(np.shape(sse), np.inf)
    with np.errstate(divide="ignore"):
        fit = n * np.log(np.maximum(np.asarray(sse, dtype=float), 1e-300) / n)
    return fit + 2 * parameters + 2 * parameters * (parameters + 1) / (n - parameters - 1)


def choose(aiccs: dict) -> np.ndarray:
    """The index into MODELS of the chosen shape for every row of the AICc arrays (a shape left out: no candidate)."""
    line = np.asarray(aiccs["line"], dtype=float)
    free, hinge = (np.asarray(aiccs.get(name, np.full(line.shape, np.inf)), dtype=float)
                   for name in MODELS[1:])
    richer = np.where(hinge < free, MODELS.index("hinge"), MODELS.index("free exponent"))
    best = np.minimum(free, hinge)
    # a richer shape with no AICc is no candidate, even where the line's is undefined too (n ≤ 3: inf ≤ inf)
    return np.where(np.isfinite(best) & (best <= line - MIN_AICC_GAIN), richer, MODELS.index("line"))
