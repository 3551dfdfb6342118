"""The utility boundary inverts the fitted curves it reports, and SUMMARY.md says so in words."""

import math

import pytest

from ddlaws.laws.boundary import boundary_table
from ddlaws.laws.coverage_fit import coverage_law
from ddlaws.laws.required_size import required_growth, required_size_table
from ddlaws.laws.scaling_fit import scaling_table
from ddlaws.report.summary import summary_markdown
from synthetic_gaps import gaps_table


def laws(gaps, target=0.1, tolerance=0.01):
    scaling = scaling_table(gaps)
    fits, points, _ = coverage_law(gaps, draws=20)
    required = required_size_table(points, target)
    coverage = fits.merge(required_growth(required), on=["dataset", "method"])
    return scaling, required, coverage, boundary_table(scaling, required, tolerance)


def test_boundary_sizes_put_the_fitted_curves_on_their_targets():
    scaling, required, _, boundary = laws(gaps_table())
    row = boundary.iloc[0]
    pooled = scaling[scaling["config"] == "pooled"].iloc[0]
    assert row["eps_bound"] == pooled["intercept"]
    assert row["eps_bound_ci_low"] < 0.045 < row["eps_bound_ci_high"]  # mean floor over the configs
    fitted = row["eps_bound"] + row["sqrt_k_coefficient"] / math.sqrt(row["k_within_tolerance"])
    assert fitted == pytest.approx(row["eps_bound"] + 0.01)
    family = required[required["m"] == 4].iloc[0]
    assert row["k_target"] == family["k_required"]
    assert family["intercept"] + family["slope"] / math.sqrt(row["k_target"]) == pytest.approx(0.1)
    assert row["n_configs"] == 4 and row["target_status"] == "reachable"
    assert not row["saturated"] and math.isnan(row["floor"])


def test_boundary_reports_the_saturation_floor():
    _, _, _, boundary = laws(gaps_table(saturate_at=10, configs=1, seeds=3))
    row = boundary.iloc[0]
    assert row["saturated"] and row["k_sat"] == 10
    assert row["floor"] == pytest.approx(0.03, abs=0.005)


def test_an_unreachable_target_is_said_so():
    _, _, coverage, boundary = laws(gaps_table(), target=0.01)
    row = boundary.iloc[0]
    assert math.isnan(row["k_target"]) and row["target_status"] == "floor at or above target"
    assert "out of reach" in summary_markdown(boundary, coverage)


def test_summary_states_delta_and_the_boundary():
    _, _, coverage, boundary = laws(gaps_table())
    text = summary_markdown(boundary, coverage)
    row = boundary.iloc[0]
    assert text.startswith("# Utility boundary")
    assert "test-error gap" in text and "## d · m" in text
    assert f"k ≥ {math.ceil(row['k_within_tolerance']):,}" in text
    assert f"needs k ≥ {math.ceil(row['k_target']):,}" in text
    assert "| eps_bound |" in text and "| required_slope |" in text
