"""The scaling law's shape: a floor found where it is, none invented, and α = ½ recovered."""

import math

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.free_exponent import exponent_fit
from ddlaws.laws.saturation import saturation_fit
from ddlaws.laws.scaling_fit import POOLED, required_ipc, scaling_table

K = np.repeat([1, 2, 3, 5, 8, 10, 15, 20, 30, 50], 3).astype(float)


def test_saturation_found_at_the_breakpoint():
    rng = np.random.default_rng(0)
    y = 0.1 + 0.5 * np.maximum(1 / np.sqrt(K) - 1 / np.sqrt(10), 0) + rng.normal(0, 0.005, K.size)
    fit = saturation_fit(K, y)
    assert fit["saturated"] and fit["k_sat"] == 10
    assert fit["floor"] == pytest.approx(0.1, abs=0.005)
    assert fit["saturation_pvalue"] < 1e-6


def test_a_pure_inverse_sqrt_line_is_not_flagged():
    flagged = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        fit = saturation_fit(K, 0.05 + 0.4 / np.sqrt(K) + rng.normal(0, 0.01, K.size))
        assert 0 <= fit["saturation_pvalue"] <= 1
        flagged += fit["saturated"]
        if not fit["saturated"]:
            assert math.isnan(fit["k_sat"]) and math.isnan(fit["floor"])
    assert flagged <= 2  # at most 5 % false alarms


def test_saturation_needs_two_distinct_k_per_segment():
    fit = saturation_fit([1, 2, 5], [0.3, 0.2, 0.2])
    assert not fit["saturated"] and math.isnan(fit["saturation_pvalue"])


def test_exponent_interval_covers_one_half():
    covered = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        fit = exponent_fit(K, 0.05 + 0.4 * K ** -0.5 + rng.normal(0, 0.01, K.size))
        assert fit["alpha_ci_low"] <= fit["alpha"] <= fit["alpha_ci_high"]
        covered += fit["alpha_ci_low"] <= 0.5 <= fit["alpha_ci_high"]
    assert covered >= 35  # nominal 95 %: 38 of 40


def test_exponent_tells_a_faster_decay_from_one_half():
    rng = np.random.default_rng(3)
    fit = exponent_fit(K, 0.05 + 0.4 * K ** -1.0 + rng.normal(0, 0.005, K.size))
    assert fit["alpha"] == pytest.approx(1.0, abs=0.1)
    assert fit["alpha_ci_low"] > 0.5


def test_exponent_needs_three_distinct_k():
    assert all(math.isnan(v) for v in exponent_fit([1, 1, 5, 5], [0.3, 0.31, 0.2, 0.21]).values())


def test_scaling_table_carries_the_shape_per_row():
    rng = np.random.default_rng(4)
    rows = [{"dataset": "d", "method": "m", "label_regime": "hard", "ipc": k, "seed": s, "config": "a",
             "delta_err": 0.05 + 0.4 / math.sqrt(k) + rng.normal(0, 0.005), "delta_err_var": 1e-4}
            for k in (1, 2, 5, 10, 20, 50) for s in range(3)]
    table = scaling_table(pd.DataFrame(rows)).set_index("config")
    assert table.loc["a", "alpha_ci_low"] < 0.5 < table.loc["a", "alpha_ci_high"]
    assert not table.loc[POOLED, "saturated"]


def test_required_ipc_reaches_the_target():
    intercept, slope = np.array([0.02, 0.1, 0.02]), np.array([0.4, 0.3, -0.1])
    k = required_ipc(intercept, slope, 0.05)
    assert intercept[0] + slope[0] / math.sqrt(k[0]) == pytest.approx(0.05)
    assert np.isnan(k[1:]).all()  # floor above the target; curve not falling
