"""The coverage law: reproducible subset draws, a known slope recovered, the required size inverted."""

import math

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.coverage_fit import coverage_law, delta_matrix, draw_subsets, subset_cloud
from ddlaws.laws.required_size import required_growth, required_size_table

IPCS = (1, 2, 5, 10, 20, 50)


def order_scores(n_configs: int) -> np.ndarray:
    """Per-configuration scores z whose expected max over a uniform m-subset is exactly √(log m).

    The j-th smallest of M scores is the max of an m-subset with probability
    C(j − 1, m − 1) / C(M, m); solving that triangular system for every m fixes z.
    """
    weights = np.array([[math.comb(j, m - 1) / math.comb(n_configs, m) for j in range(n_configs)]
                        for m in range(1, n_configs + 1)])
    z = np.linalg.solve(weights, np.sqrt(np.log(np.arange(1, n_configs + 1))))
    assert np.all(np.diff(z) > 0)  # increasing, so the max of a subset is its highest index
    return z


def synthetic_gaps(intercept=0.02, slope=0.3, n_configs=6, seeds=3, noise=0.0, rng=None) -> pd.DataFrame:
    """Δ(k, config) = intercept + slope·z_config/√k (+ noise per distillation seed)."""
    z = order_scores(n_configs)
    rng = rng or np.random.default_rng(0)
    return pd.DataFrame([{"dataset": "d", "method": "m", "label_regime": "hard", "ipc": k, "seed": s, "config": f"c{j}",
                          "delta_err": intercept + slope * z[j] / math.sqrt(k) + noise * rng.normal()}
                         for k in IPCS for j in range(n_configs) for s in range(seeds)])


def test_coverage_fit_recovers_a_known_slope():
    # 6 configurations: every C(6, m) <= 20 subsets, so each (k, m) mean is exact
    fits, points, _ = coverage_law(synthetic_gaps(), draws=50)
    fit = fits.iloc[0]
    assert fit["slope"] == pytest.approx(0.3, rel=1e-9)
    assert fit["intercept"] == pytest.approx(0.02, abs=1e-9)
    assert fit["n"] == len(IPCS) * 6 == len(points)


def test_coverage_fit_with_noise_and_sampled_subsets_covers_the_slope():
    fits, points, cloud = coverage_law(synthetic_gaps(n_configs=10, noise=0.01), draws=40, seed=3)
    fit = fits.iloc[0]
    assert fit["slope_ci_low"] < 0.3 < fit["slope_ci_high"]
    assert fit["slope"] == pytest.approx(0.3, abs=0.03)
    assert set(points["draws"]) == {10, 40, 1}  # m = 1 and 9: all C(10, m) <= 40; m = M: one
    assert len(cloud) == points["draws"].sum()


def test_the_mean_statistic_does_not_grow_with_m():
    fits, _, _ = coverage_law(synthetic_gaps(), statistic="mean", draws=50)
    assert fits.iloc[0]["slope"] == pytest.approx(0.0, abs=1e-9)  # the scores average to 0 over configs


def test_subset_draws_are_reproducible_per_seed():
    first = draw_subsets(12, 4, 30, seed=1, key="d/m")
    assert np.array_equal(first, draw_subsets(12, 4, 30, seed=1, key="d/m"))
    assert not np.array_equal(first, draw_subsets(12, 4, 30, seed=2, key="d/m"))
    assert first.shape == (30, 4)
    assert all(len(set(row)) == 4 and list(row) == sorted(row) for row in first)
    assert draw_subsets(12, 12, 30, seed=1).shape == (1, 12)


def test_subset_cloud_depends_on_the_seed_only_through_the_draws():
    gaps = synthetic_gaps(n_configs=10, noise=0.01)
    a = subset_cloud(gaps, draws=30, seed=5)
    pd.testing.assert_frame_equal(a, subset_cloud(gaps, draws=30, seed=5))
    b = subset_cloud(gaps, draws=30, seed=6)
    assert not np.allclose(a["y"], b["y"])
    assert np.allclose(a.loc[a["m"] == 10, "y"], b.loc[b["m"] == 10, "y"])


def test_log1p_puts_single_configurations_off_zero():
    cloud = subset_cloud(synthetic_gaps(), x_form="log1p", draws=50)
    single = cloud[cloud["m"] == 1]
    assert np.allclose(single["x"], np.sqrt(np.log(2) / single["ipc"]))
    assert (subset_cloud(synthetic_gaps(), draws=50).query("m == 1")["x"] == 0).all()


def test_configurations_missing_at_some_k_are_left_out():
    gaps = synthetic_gaps()
    gaps = gaps[~((gaps["config"] == "c0") & (gaps["ipc"] == 50))]
    assert "c0" not in delta_matrix(gaps).columns and delta_matrix(gaps).shape == (len(IPCS), 5)


def test_required_size_grows_linearly_in_log_m():
    # Y_m(k) = a + b·√(log m)/√k, so k*(m) = b²·log m / (ε − a)², a line in log m of slope b²/(ε − a)²
    a, b, target = 0.02, 0.3, 0.1
    _, points, _ = coverage_law(synthetic_gaps(a, b), draws=50)
    required = required_size_table(points, target)
    for row in required[required["m"] > 1].itertuples():
        assert row.status == "reachable"
        assert row.intercept + row.slope / math.sqrt(row.k_required) == pytest.approx(target)
    growth = required_growth(required).iloc[0]
    assert growth["required_slope"] == pytest.approx(b ** 2 / (target - a) ** 2, rel=1e-6)
    assert growth["required_r2"] == pytest.approx(1.0)
    assert growth["required_outside"] == 0
    # a stricter target puts the largest m's k* past the measured k: the slope is left out, not fitted on the rest
    strict = required_size_table(points, 0.065)
    assert strict["k_required_status"].eq("beyond_measured").any()
    assert strict["k_required_status"].isin(["measured", "interpolated"]).sum() >= 2
    growth = required_growth(strict).iloc[0]
    assert math.isnan(growth["required_slope"]) and growth["required_outside"] >= 1


def test_a_size_below_the_smallest_measured_k_is_an_extrapolation():
    from ddlaws.laws.scaling_fit import size_status

    assert size_status(1.5, [4, 8]) == "below_measured"
    assert [size_status(k, [1, 2, 4, 8]) for k in (1e-30, 1.5, 2.5, 8.0, 8.5)] == [
        "measured", "measured", "interpolated", "measured", "beyond_measured"]


def test_a_gap_rising_with_k_never_reaches_the_target():
    points = pd.DataFrame({"dataset": "d", "method": "m", "n_configs": 1, "m": 1, "ipc": IPCS,
                           "y": [0.1 - 0.05 / math.sqrt(k) for k in IPCS]})
    row = required_size_table(points, 0.2).iloc[0]
    assert row["status"] == "not falling with k" and math.isnan(row["k_required"])


def test_a_target_below_the_floor_is_unreachable():
    _, points, _ = coverage_law(synthetic_gaps(0.05, 0.3), draws=50)
    required = required_size_table(points, 0.01)
    assert (required.loc[required["m"] > 1, "status"] == "floor at or above target").all()
    assert required["k_required"].isna().all()
    assert math.isnan(required_growth(required).iloc[0]["required_slope"])


def test_two_term_law_recovers_its_three_coefficients():
    # Δ = a + b·1/√k + c·z_config/√k with E[max over m] of z exactly √(log m): Y = a + b/√k + c·√(log m)/√k
    base = synthetic_gaps(intercept=0.02, slope=0.3)
    k = base["ipc"].to_numpy(float)
    gaps = base.assign(delta_err=base["delta_err"] + 0.1 / np.sqrt(k))
    fit = coverage_law(gaps, draws=50, resamples=0)[0].iloc[0]
    assert fit["two_term_intercept"] == pytest.approx(0.02, abs=1e-9)
    assert fit["two_term_k_coef"] == pytest.approx(0.1, abs=1e-9)
    assert fit["coverage_coef"] == pytest.approx(0.3, rel=1e-9)
    assert fit["r2_two_term"] == pytest.approx(1.0)
    assert fit["r2_two_term"] > fit["r2"]  # the one-term fit has no 1/√k term for m = 1
    assert fit["two_term_pvalue"] < 1e-6


def test_coverage_law_refits_with_the_entropy_of_each_subset():
    fits, points, cloud = coverage_law(synthetic_gaps(noise=0.01), draws=30, resamples=0)
    assert cloud["entropy"].notna().all() and (cloud["entropy"] <= np.log(cloud["m"]) + 1e-12).all()
    fit = fits.iloc[0]
    assert np.isfinite(fit["coverage_coef_entropy"]) and np.isfinite(fit["r2_two_term_entropy"])
    assert {"entropy", "log_m", "effective_number", "covering_number"} <= set(fits.columns)


def test_adding_a_method_leaves_the_other_methods_fits_and_intervals_as_they_were():
    """Each (dataset, method) draws its bootstrap from a stream of its own: importing an external set
    or adding a method must not move the intervals already reported for the others."""
    from synthetic_gaps import gaps_table

    from ddlaws.laws.scaling_fit import scaling_table

    alone = gaps_table(seed=0)
    both = pd.concat([gaps_table(floor=0.05, seed=1).assign(method="a"), alone], ignore_index=True)
    before, after = scaling_table(alone, resamples=100), scaling_table(both, resamples=100)
    pd.testing.assert_frame_equal(before, after[after["method"] == "m"].reset_index(drop=True))
    columns = ["coverage_coef", "coverage_coef_ci_low", "coverage_coef_ci_high", "r2_two_term"]
    before = coverage_law(alone, draws=50, resamples=100)[0]
    after = coverage_law(both, draws=50, resamples=100)[0]
    pd.testing.assert_frame_equal(before[columns], after.loc[after["method"] == "m", columns].reset_index(drop=True))
