"""Coverage entropy from the gap profiles: near-duplicate configurations count once, unrelated ones each count."""

import math

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.config_entropy import covering_number, family_entropy

METHODS = ("a", "b", "c", "d")
IPCS = (1, 2, 4, 8, 16)


def family_gaps(groups: int, per_group: int, spread=0.02, jitter=0.001, noise_var=None, seed=0) -> pd.DataFrame:
    """Δ of 20 distilled sets under groups × per_group configurations.

    Every set has a common gap that falls with k; each group departs from it in
    its own way, set by set, and its members add only ``jitter``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    group_effect = rng.normal(0, spread, (groups, len(METHODS) * len(IPCS)))
    for g in range(groups):
        for member in range(per_group):
            for s, (method, k) in enumerate((m, k) for m in METHODS for k in IPCS):
                rows.append({"dataset": "d", "method": method, "ipc": k, "seed": 0, "config": f"g{g}m{member}",
                             "delta_err": 0.3 / math.sqrt(k) + group_effect[g, s] + rng.normal(0, jitter),
                             "err_var": noise_var if noise_var is not None else np.nan, "n_eval": 3})
    return pd.DataFrame(rows)


def test_two_groups_of_near_duplicates_hold_two_configurations():
    h = family_entropy(family_gaps(groups=2, per_group=4), "delta_err")
    assert h["covering_number"] == 2
    assert h["entropy"] == pytest.approx(math.log(2))
    assert h["log_m"] == pytest.approx(math.log(8))
    assert h["effective_number"] == pytest.approx(2.0, abs=0.1)


def test_eight_unrelated_configurations_hold_eight():
    h = family_entropy(family_gaps(groups=8, per_group=1), "delta_err")
    assert h["covering_number"] == 8
    assert h["entropy"] == pytest.approx(math.log(8))
    assert h["effective_number"] > 6


def test_noise_correction_merges_copies_that_only_noise_keeps_apart():
    # two groups whose members differ by eval noise (sd 0.01) as large as the groups' spread
    gaps = family_gaps(groups=2, per_group=4, spread=0.02, jitter=0.01, noise_var=3 * 0.01 ** 2, seed=3)
    uncorrected = family_entropy(gaps.assign(err_var=np.nan), "delta_err")
    corrected = family_entropy(gaps, "delta_err")
    assert corrected["covering_number"] < uncorrected["covering_number"]
    assert corrected["covering_number"] == 2
    assert 0.1 < corrected["noise_share"] < 0.5


def test_greedy_cover_counts_balls():
    d = np.array([[0.0, 0.1, 0.9], [0.1, 0.0, 0.9], [0.9, 0.9, 0.0]])
    assert covering_number(d, 0.2) == 2
    assert covering_number(d, 0.05) == 3
    assert covering_number(d, 1.0) == 1
