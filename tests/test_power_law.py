"""The saturating power law with its floor held at ε ≥ 0 recovers known parameters, and never goes below 0."""

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.power_law import fixed_exponent_fit, free_exponent_fit, line_fit
from ddlaws.laws.ranking import mean_ior, ranking_table

K = np.array([1, 2, 4, 8, 16, 32], dtype=float)


def test_free_exponent_recovers_floor_coefficient_and_exponent():
    y = 0.04 + 0.3 * K ** -0.7
    eps, c, alpha, sse = free_exponent_fit(K, y[None, :], refine=True)
    assert eps[0] == pytest.approx(0.04, abs=1e-4)
    assert c[0] == pytest.approx(0.3, abs=1e-3)
    assert alpha[0] == pytest.approx(0.7, abs=1e-3)
    assert sse[0] < 1e-10


def test_a_floor_below_zero_is_held_at_zero_with_the_least_squares_slope_through_the_origin():
    y = 0.5 * K ** -1.0  # the 1/√k line through these points has a negative intercept
    free = line_fit(K ** -0.5, y[None, :], floor_at_zero=False)
    assert free[0][0, 0] < 0
    eps, c, sse = fixed_exponent_fit(K, y[None, :])
    z = K ** -0.5
    assert eps[0] == 0.0
    assert c[0] == pytest.approx((z @ y) / (z @ z))
    assert sse[0] == pytest.approx(((y - c[0] * z) ** 2).sum())


def test_fits_run_on_a_stack_of_resamples_at_once():
    rng = np.random.default_rng(0)
    y = 0.05 + 0.2 / np.sqrt(K) + rng.normal(0, 0.002, (50, K.size))
    eps, c, sse = fixed_exponent_fit(K, y)
    assert eps.shape == (50,) and (eps >= 0).all()
    one = fixed_exponent_fit(K, y[7:8])
    assert eps[7] == pytest.approx(one[0][0]) and c[7] == pytest.approx(one[1][0])


def test_ranking_gives_the_improvement_over_random_at_the_same_k_and_configuration():
    rows = [{"dataset": "d", "method": m, "ipc": k, "seed": 0, "config": cfg, "err": err, "ref_err": 0.02,
             "delta_err": err - 0.02}
            for m, base in (("random", 0.3), ("dm", 0.2)) for k in (1, 10) for cfg, shift in (("a", 0), ("b", 0.1))
            for err in [base / k + shift]]
    table = ranking_table(pd.DataFrame(rows))
    dm = table[table["method"] == "dm"].set_index(["ipc", "config"])
    assert dm.loc[(1, "a"), "ior"] == pytest.approx(0.1)
    assert dm.loc[(10, "b"), "ior"] == pytest.approx(0.01)
    assert dm.loc[(1, "b"), "delta"] == pytest.approx(0.28)
    assert (table[table["method"] == "random"]["ior"] == 0).all()
    means = mean_ior(table).set_index(["method", "ipc"])
    assert means.loc[("dm", 1), "ior"] == pytest.approx(0.1)
