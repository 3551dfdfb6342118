"""The law fits recover known parameters and report honest intervals."""

import math

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.linear_fit import fit_line
from ddlaws.laws.scaling_fit import POOLED, scaling_table


def test_ols_recovers_intercept_and_slope():
    rng = np.random.default_rng(0)
    x = np.repeat(1 / np.sqrt([1, 2, 5, 10, 20, 50]), 20)
    y = 0.05 + 0.4 * x + rng.normal(0, 0.01, x.size)
    fit = fit_line(x, y)
    assert fit["intercept"] == pytest.approx(0.05, abs=0.005)
    assert fit["slope"] == pytest.approx(0.4, abs=0.01)
    assert fit["intercept_ci_low"] < 0.05 < fit["intercept_ci_high"]
    assert fit["slope_ci_low"] < 0.4 < fit["slope_ci_high"]
    assert fit["r2"] > 0.95 and fit["estimator"] == "ols-hc3"


def test_wls_uses_the_variances():
    rng = np.random.default_rng(1)
    x = np.tile([1.0, 0.5, 0.2, 0.1], 30)
    sd = np.where(x > 0.3, 0.2, 0.002)
    y = 0.1 + 0.3 * x + rng.normal(0, sd)
    wls = fit_line(x, y, "wls", sd ** 2)
    ols = fit_line(x, y, "ols")
    assert wls["estimator"] == "wls"
    assert abs(wls["intercept"] - 0.1) < abs(ols["intercept"] - 0.1) + 1e-9
    assert wls["intercept_ci_high"] - wls["intercept_ci_low"] < ols["intercept_ci_high"] - ols["intercept_ci_low"]


def test_too_few_points_give_no_interval():
    fit = fit_line([1.0, 0.5], [0.3, 0.2])
    assert fit["slope"] == pytest.approx(0.2)
    assert math.isnan(fit["intercept_ci_low"])
    assert math.isnan(fit_line([1.0, 1.0, 1.0], [0.1, 0.2, 0.3])["slope"])


def test_scaling_table_rows_per_config_and_pooled():
    rows = []
    for config, floor in (("a", 0.02), ("b", 0.08)):
        for k in (1, 2, 5, 10, 20):
            rows.append({"dataset": "d", "method": "m", "label_regime": "hard", "ipc": k, "seed": 0, "config": config,
                         "delta_err": floor + 0.5 / math.sqrt(k), "delta_err_var": 1e-4})
    table = scaling_table(pd.DataFrame(rows))
    assert list(table["config"]) == ["a", "b", POOLED]
    a = table.set_index("config").loc["a"]
    assert a["intercept"] == pytest.approx(0.02) and a["slope"] == pytest.approx(0.5)
    assert table.set_index("config").loc[POOLED, "n"] == 10
