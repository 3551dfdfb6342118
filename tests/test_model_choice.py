"""One shape per row: the rule picks the shape the data were drawn from, every resample chooses again, and the
chosen floor's interval is honest: an upper bound where the floor sits at 0, never one that misses its point."""

import math

import numpy as np
import pandas as pd
import pytest

from ddlaws.laws.bootstrap import Replicates, percentile_interval
from ddlaws.laws.boundary import boundary_table
from ddlaws.laws.model_choice import MIN_AICC_GAIN, MODELS, aicc, choose
from ddlaws.laws.saturation import hinge_fit
from ddlaws.laws.scaling_fit import POOLED, floor_interval, near_floor_ipc, scaling_table
from synthetic_gaps import gaps_table

SHARES = [f"chosen_share_{model.replace(' ', '_')}" for model in MODELS]


def pooled(gaps: pd.DataFrame) -> pd.Series:
    table = scaling_table(gaps, resamples=200)
    return table[table["config"] == POOLED].iloc[0]


def drawn_from(curve, seed=0, configs=4, noise=0.004, spread=0.01) -> pd.DataFrame:
    """gaps_table's layout with Δ = curve(k) + ``spread`` × the configuration's index + noise."""
    gaps = gaps_table(configs=configs, seed=seed)
    rng = np.random.default_rng(seed)
    shift = spread * gaps["config"].str[1:].astype(int)
    gaps["delta_err"] = curve(gaps["ipc"].to_numpy(float)) + shift + rng.normal(0, noise, len(gaps))
    return gaps


def test_the_rule_keeps_the_line_unless_a_richer_shape_wins_by_the_margin():
    line = np.array([0.0, 0.0, 0.0, 0.0])
    free = np.array([-1.9, -2.0, -5.0, -5.0])
    hinge = np.array([-1.0, -1.0, -4.0, -6.0])
    assert [MODELS[i] for i in choose({"line": line, "free exponent": free, "hinge": hinge})] == [
        "line", "free exponent", "free exponent", "hinge"]
    assert MIN_AICC_GAIN == 2
    assert (choose({"line": line}) == 0).all()  # no other shape fitted: the line
    undefined = np.full(2, np.inf)  # three points: no shape has an AICc, and the line stays
    assert (choose({"line": undefined, "free exponent": undefined, "hinge": undefined}) == 0).all()
    assert np.isinf(aicc(np.array([0.1]), 4, 3)).all()  # n ≤ p + 1: no candidate


def test_the_rule_picks_the_line_on_a_line():
    row = pooled(gaps_table())
    assert row["chosen"] == "line"
    assert row["floor_chosen"] == row["intercept"] and row["alpha_chosen"] == 0.5
    assert math.isnan(row["k_sat_chosen"])
    assert sum(row[s] for s in SHARES) == pytest.approx(1.0)


def test_the_rule_picks_the_free_exponent_on_a_faster_decay_with_a_floor():
    row = pooled(drawn_from(lambda k: 0.03 + 0.5 / k))
    assert row["chosen"] == "free exponent" and row["chosen_share_free_exponent"] > 0.9
    assert row["floor_chosen"] == row["free_intercept"] == pytest.approx(0.045, abs=0.01)  # mean floor over configs
    assert row["alpha_chosen"] == row["alpha"] == pytest.approx(1.0, abs=0.05)
    assert row["intercept"] == 0.0  # the 1/√k line dips below 0 and is held there
    assert sum(row[s] for s in SHARES) == pytest.approx(1.0)


def test_the_rule_picks_the_hinge_on_a_hinge():
    row = pooled(gaps_table(saturate_at=8, configs=4))
    assert row["chosen"] == "hinge" and row["k_sat_chosen"] == 8 and row["hinge_k_break"] == 8
    assert row["floor_chosen"] == row["hinge_intercept"] == pytest.approx(0.045, abs=0.01)
    assert row["alpha_chosen"] == 0.5
    assert sum(row[s] for s in SHARES) == pytest.approx(1.0)


def test_the_boundary_reads_the_chosen_shape():
    gaps = drawn_from(lambda k: 0.03 + 0.5 / k)
    scaling = scaling_table(gaps, resamples=200)
    required = pd.DataFrame(columns=["dataset", "method", "m", "n_configs", "target_gap", "k_required", "status"])
    row = boundary_table(scaling, required, tolerance=0.01).iloc[0]
    fit = scaling[scaling["config"] == POOLED].iloc[0]
    assert row["chosen"] == "free exponent"
    assert (row["eps_bound"], row["eps_bound_ci_low"], row["eps_bound_ci_high"]) == (
        fit["floor_chosen"], fit["floor_chosen_ci_low"], fit["floor_chosen_ci_high"])
    assert row["eps_bound"] != row["eps_bound_line"] and row["alpha"] == fit["alpha"]
    # the chosen curve ε + C·k^(−α), not the line, comes within the tolerance at k_near_floor
    assert row["coefficient"] * row["k_near_floor"] ** -row["alpha"] == pytest.approx(0.01)


def test_near_floor_inverts_each_shape():
    floor, slope, tolerance = 0.02, 0.3, 0.01
    assert near_floor_ipc(floor, slope, 0.5, math.nan, tolerance) == pytest.approx((slope / tolerance) ** 2)
    assert near_floor_ipc(floor, slope, 0.8, math.nan, tolerance) == pytest.approx((slope / tolerance) ** 1.25)
    k = float(near_floor_ipc(floor, slope, 0.5, 16.0, tolerance))
    assert k < 16 and slope * (1 / math.sqrt(k) - 1 / math.sqrt(16)) == pytest.approx(tolerance)


def test_the_hinge_fits_a_stack_of_resamples_as_each_one_alone():
    k = np.repeat([1, 2, 4, 8, 16, 32], 2).astype(float)
    rng = np.random.default_rng(1)
    y = 0.02 + 0.3 * np.maximum(1 / np.sqrt(k) - 1 / np.sqrt(8), 0) + rng.normal(0, 0.01, (20, k.size))
    stacked = hinge_fit(k, y)
    assert (stacked[0] >= 0).all()
    for b in (0, 7, 19):
        one = hinge_fit(k, y[b:b + 1])
        assert all(s[b] == pytest.approx(o[0]) for s, o in zip(stacked, one))
    assert hinge_fit([1, 2, 4], [0.3, 0.2, 0.1]) is None  # two distinct k on each side need four


def test_a_floor_at_its_bound_gets_an_upper_bound():
    resampled = Replicates(None, "configurations", 7, 8)
    samples = np.concatenate([np.zeros(300), np.linspace(0.001, 0.02, 700)])
    low, high, kind = floor_interval(samples, 0.95, resampled)
    assert (low, kind) == (0.0, "upper bound") and high == percentile_interval(samples, 0.95, 7, 8)[1] > 0
    assert floor_interval(np.zeros(1000), 0.95, resampled)[2] == "at bound"  # never an interval of zero width
    assert np.isnan(floor_interval(np.zeros(1000), 0.95, resampled)[1])
    for seed in range(3):
        row = pooled(drawn_from(lambda k: 0.4 / k, seed=seed, configs=8, noise=0.01, spread=0.0))  # no floor
        assert row["floor_chosen_ci_low"] == 0 and row["floor_chosen_ci_kind"] == "upper bound"
        assert row["floor_chosen_ci_high"] > 0 or row["floor_chosen"] == 0


def test_a_point_never_lies_outside_its_interval_and_no_two_sided_interval_has_zero_width():
    curves = [lambda k: 0.03 + 0.4 / np.sqrt(k), lambda k: 0.4 / k, lambda k: 0.01 + 0.3 * k ** -0.8,
              lambda k: 0.02 + 0.4 * np.maximum(1 / np.sqrt(k) - 1 / np.sqrt(10), 0)]
    for i, curve in enumerate(curves):
        for seed in range(2):
            table = scaling_table(drawn_from(curve, seed=seed, noise=0.01), resamples=200)
            for row in table.to_dict("records"):
                if row["floor_chosen_ci_kind"] != "at bound":
                    assert row["floor_chosen_ci_low"] <= row["floor_chosen"] <= row["floor_chosen_ci_high"], (i, row)
                if np.isfinite(row["alpha_chosen_ci_low"]):  # else α = ½ in every resample: fixed, no interval
                    assert row["alpha_chosen_ci_low"] <= row["alpha_chosen"] <= row["alpha_chosen_ci_high"], (i, row)
                    assert row["alpha_chosen_ci_high"] > row["alpha_chosen_ci_low"]
                if row["floor_chosen_ci_kind"] == "two-sided":
                    assert row["floor_chosen_ci_low"] > 0 and row["floor_chosen_ci_high"] > row["floor_chosen_ci_low"]
                assert sum(row[s] for s in SHARES) == pytest.approx(1.0)
