"""Coverage entropy from the data: how many really different configurations a family holds.

log m counts every configuration as new. Two optimizers that train alike
should count once. Their likeness is read off the measured gaps: a
configuration's *profile* is its Δ on every distilled set of the dataset (all
methods, k and seeds). All configurations' gaps fall together as k grows, so
that common effect is removed first: each set's mean Δ over the configurations
is subtracted (which removes k, and whatever else a set does to every
configuration alike), and then each configuration's own mean (an offset does not
change how a configuration ranks and spaces the sets). What is left is how a
configuration departs from the others, set by set.

The distance between two configurations is d = √((1 − ρ)/2), with ρ the
correlation of their profiles: 0 for configurations that rank and space the
sets alike, about 0.71 for unrelated ones, 1 for opposite ones. On the digits
default much of a profile is eval-seed noise (each set's Δ is a mean over 3
eval seeds), and noise makes every two configurations look unrelated. So where
the gap table carries the eval-seed variances, ρ is corrected for attenuation
(Spearman): the covariance over the product of the profiles' *signal* standard
deviations, their variance less the noise variance of a set's mean, clipped
to [−1, 1]. A configuration whose profile varies no more than its noise has
no measurable departure from the others: all such configurations count as
one, unrelated to the rest. ``noise_share``, the noise's part of the profiles'
variance, says how much there was to correct; near 1, the family's diversity
is not resolved by the measurements.

* **Covering entropy.** H(r) = log N(r), N(r) the number of balls of radius r
  that cover the family, from a greedy cover (each ball centred on the
  configuration that covers the most uncovered ones; the greedy count is within
  a log factor of the least). The radius is ``laws.entropy_radius``, default
  0.3: configurations whose profiles correlate at ρ ≥ 0.82 count as one.
* **Effective number.** The participation ratio (Σλ)²/Σλ² of the eigenvalues of
  the profiles' correlation matrix, plus one: subtracting each set's mean over
  the configurations removes exactly one direction, so two groups of copies
  leave one eigenvalue and unrelated configurations M − 1 equal ones.

Both lie between 1 and M.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

DEFAULT_RADIUS = 0.3


def residual_profiles(gaps: pd.DataFrame, col: str) -> pd.DataFrame:
    """Δ per distilled set (rows) and configuration (columns), set and configuration means removed."""
    wide = gaps.pivot_table(index=["method", "ipc", "seed"], columns="config", values=col).dropna(axis=0)
    wide = wide.sub(wide.mean(axis=1), axis=0)
    return wide - wide.mean(axis=0)


def profile_correlations(profiles: pd.DataFrame, noise: pd.Series | None = None) -> np.ndarray:
    """ρ between every two configurations' profiles, corrected for the noise variance where given.

    A flat profile (no departure from the others) correlates 1 with another flat
    one and 0 with the rest.
    """
    values = profiles.to_numpy(float)
    cov = values.T @ values / max(len(values) - 1, 1)
    signal = np.diag(cov).copy()
    if noise is not None:
        signal = np.maximum(signal - noise.reindex(profiles.columns).to_numpy(float), 0.0)
    flat = signal < 1e-12
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = cov / np.sqrt(np.outer(signal, signal))
    rho = np.clip(np.nan_to_num(rho, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)
    rho = np.where(np.outer(flat, flat), 1.0, rho)
    np.fill_diagonal(rho, 1.0)
    return rho


def correlation_distance(rho: np.ndarray) -> np.ndarray:
    """d = √((1 − ρ)/2)."""
    return np.sqrt(np.clip((1.0 - rho) / 2.0, 0.0, 1.0))


def covering_number(distances: np.ndarray, radius: float) -> int:
    """Greedy count of balls of ``radius``, centred on members, that cover every member."""
    uncovered = np.ones(len(distances), dtype=bool)
    balls = 0
    within = distances <= radius
    while uncovered.any():
        centre = int(np.argmax((within & uncovered[None, :]).sum(axis=1)))
        uncovered &= ~within[centre]
        balls += 1
    return balls


def effective_number(rho: np.ndarray) -> float:
    """Participation ratio of the correlation eigenvalues, plus the direction the centring removed."""
    eig = np.clip(np.linalg.eigvalsh(rho), 0.0, None)
    return float(min(eig.sum() ** 2 / (eig ** 2).sum() + 1.0, len(rho)))


def set_noise(gaps: pd.DataFrame, col: str) -> pd.Series | None:
    """Per configuration, the mean noise variance of one set's Δ from its eval seeds (None where not recorded)."""
    var = f"{col.removeprefix('delta_')}_var"
    if var not in gaps or "n_eval" not in gaps or gaps[var].isna().all():
        return None
    return (gaps[var] / gaps["n_eval"]).groupby(gaps["config"]).mean()


def family_entropy(gaps: pd.DataFrame, col: str, radius: float = DEFAULT_RADIUS) -> dict:
    """H of one dataset's family: the covering entropy, the effective number, and log M beside them."""
    profiles = residual_profiles(gaps, col)
    n_configs = profiles.shape[1]
    out = {"entropy": math.nan, "covering_number": math.nan, "effective_number": math.nan,
           "log_m": math.log(max(n_configs, 1)), "entropy_radius": radius, "noise_share": math.nan}
    if profiles.shape[0] < 3 or n_configs < 2:
        return out
    noise = set_noise(gaps, col)
    rho = profile_correlations(profiles, noise)
    d = correlation_distance(rho)
    n_cover = covering_number(d, radius)
    total = float(profiles.var(axis=0).sum())
    if noise is not None and total > 0:
        out["noise_share"] = min(float(noise.reindex(profiles.columns).sum()) / total, 1.0)
    out.update(entropy=math.log(n_cover), covering_number=n_cover, effective_number=effective_number(rho),
               configs=list(profiles.columns), distances=d)
    return out


def subset_entropies(distances: np.ndarray, subsets: np.ndarray, radius: float) -> np.ndarray:
    """log N(r) of every subset (rows of configuration indices) within the family's distances."""
    return np.array([math.log(covering_number(distances[np.ix_(s, s)], radius)) for s in subsets])
