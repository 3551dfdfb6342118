"""The utility boundary inverts the fitted curves it reports, and SUMMARY.md says so in words, never extrapolating."""

import math
import re

import pytest

from ddlaws.laws.boundary import boundary_table
from ddlaws.laws.coverage_fit import coverage_law
from ddlaws.laws.gaps import reference_convergence
from ddlaws.laws.required_size import required_growth, required_size_table
from ddlaws.laws.scaling_fit import scaling_table
from ddlaws.report.summary import summary_markdown
from synthetic_gaps import gaps_table, reference_rows


def laws(gaps, target=0.1, tolerance=0.01, per_class=None):
    scaling = scaling_table(gaps, resamples=200)
    fits, points, _ = coverage_law(gaps, draws=20, resamples=200)
    required = required_size_table(points, target)
    coverage = fits.merge(required_growth(required), on=["dataset", "method"])
    return scaling, required, coverage, boundary_table(scaling, required, tolerance, coverage, per_class)


def test_boundary_sizes_put_the_fitted_curves_on_their_targets():
    scaling, required, _, boundary = laws(gaps_table())
    row = boundary.iloc[0]
    pooled = scaling[scaling["config"] == "pooled"].iloc[0]
    assert row["chosen"] == pooled["chosen"] == "line"
    assert row["eps_bound"] == pooled["floor_chosen"] == pooled["intercept"]
    assert row["eps_bound_ci_low"] < 0.045 < row["eps_bound_ci_high"]  # mean floor over the configs
    fitted = row["eps_bound"] + row["coefficient"] / math.sqrt(row["k_near_floor"])
    assert fitted == pytest.approx(row["eps_bound"] + 0.01)
    family = required[required["m"] == 4].iloc[0]
    assert row["k_target"] == family["k_required"]
    assert family["intercept"] + family["slope"] / math.sqrt(row["k_target"]) == pytest.approx(0.1)
    assert row["n_configs"] == 4 and row["target_status"] == "reachable"
    assert not row["saturated"] and math.isnan(row["k_sat"])


def test_boundary_reports_the_saturation_floor():
    _, _, coverage, boundary = laws(gaps_table(saturate_at=10, configs=1, seeds=3))
    row = boundary.iloc[0]
    assert row["chosen"] == "hinge" and row["saturated"] and row["k_sat"] == 10
    assert row["eps_bound"] == row["eps_bound_hinge"] == pytest.approx(0.03, abs=0.005)
    assert row["k_near_floor"] <= 10  # the hinge is within the tolerance at its breakpoint at the latest
    fitted = row["eps_bound"] + row["coefficient"] * max(1 / math.sqrt(row["k_near_floor"]) - 1 / math.sqrt(10), 0)
    assert fitted == pytest.approx(row["eps_bound"] + 0.01)
    assert "the gap stops falling at k = 10" in summary_markdown(boundary, coverage)


def test_an_unreachable_target_is_said_so():
    _, _, coverage, boundary = laws(gaps_table(), target=0.01)
    row = boundary.iloc[0]
    assert math.isnan(row["k_target"]) and row["target_status"] == "floor at or above target"
    assert "out of reach" in summary_markdown(boundary, coverage)


def test_summary_states_delta_and_the_boundary():
    _, _, coverage, boundary = laws(gaps_table(), target=0.2)  # reached near k = 8, inside k = 1–50
    text = summary_markdown(boundary, coverage)
    row = boundary.iloc[0]
    assert text.startswith("# Utility boundary")
    assert "test-error gap" in text and "## d · m" in text
    assert row["k_target_status"] == "interpolated"
    assert f"needs k ≥ {math.ceil(row['k_target']):,} (interpolated" in text
    assert "| eps_bound |" in text and "| coverage_coef |" in text


def test_sizes_past_the_data_are_never_stated_as_findings():
    # the line comes within 0.001 of its floor only near k = 160 000: past k = 50 and past 100 images per class
    _, _, coverage, boundary = laws(gaps_table(), tolerance=0.001, per_class={"d": 100})
    row = boundary.iloc[0]
    assert row["k_near_floor"] > 100 and row["k_near_floor_status"] == "beyond_dataset"
    text = summary_markdown(boundary, coverage)
    assert f"{math.ceil(row['k_near_floor']):,}" not in text
    assert "only at more than the 100 images per class that d has" in text and "not a finding" in text
    _, _, coverage, boundary = laws(gaps_table(), tolerance=0.001, per_class={"d": 10 ** 7})
    assert boundary.iloc[0]["k_near_floor_status"] == "beyond_measured"
    assert "only beyond the measured range (k > 50)" in summary_markdown(boundary, coverage)


def test_a_gap_falling_faster_than_the_law_is_held_at_a_zero_floor_and_said_so():
    gaps = gaps_table(floor=0.0)
    k = gaps["ipc"].to_numpy(float)
    gaps["delta_err"] = 0.5 * k ** -1.0 + 0.001 * (gaps["seed"] - 0.5)  # α = 1: the 1/√k line dips below 0
    scaling, _, coverage, boundary = laws(gaps)
    pooled = scaling[scaling["config"] == "pooled"].iloc[0]
    assert pooled["ols_intercept"] < 0 and pooled["intercept"] == 0.0
    assert (scaling["intercept"] >= 0).all() and (scaling["intercept_ci_low"].dropna() >= 0).all()
    assert pooled["alpha"] == pytest.approx(1.0, abs=0.05)
    text = summary_markdown(boundary, coverage)
    assert pooled["chosen"] == "free exponent"
    assert "the gap falls faster than 1/√k, and the law's α = ½ is not consistent with the data" in text
    # with too few k for the free exponent the sentence leaves α out, rather than print a dash for it
    two_k = gaps[gaps["ipc"].isin([1, 10])]
    _, _, coverage, boundary = laws(two_k)
    text = summary_markdown(boundary, coverage)
    assert "falls faster than 1/√k, so the floor" in text and "α = –" not in text


def test_summary_reports_the_references_and_warns_of_one_still_improving():
    gaps = gaps_table()
    _, _, coverage, boundary = laws(gaps)
    fine = reference_convergence(reference_rows(gaps), 0.005)
    assert "Every reference converged" in summary_markdown(boundary, coverage, references=fine)
    stale = reference_convergence(reference_rows(gaps, late_gain=0.02), 0.005)
    assert not stale["converged"].any()
    text = summary_markdown(boundary, coverage, references=stale)
    assert "**Warning:** 4 reference(s) had not converged" in text and "d/c0 (+0.020" in text
    unchecked = reference_convergence(reference_rows(gaps).assign(check_epoch=0, check_test_acc=float("nan"),
                                                              end_test_acc=float("nan")), 0.005)
    assert not unchecked["converged"].any()
    text = summary_markdown(boundary, coverage, references=unchecked)
    assert "Every reference converged" not in text and "d/c0 (no check: too few epochs)" in text


def test_summary_names_the_evaluations_that_did_not_converge_and_every_negative_gap():
    gaps = gaps_table()
    _, _, coverage, boundary = laws(gaps)
    checked = gaps.copy()
    assert "Every one of the 80 evaluations" in summary_markdown(boundary, coverage, gaps=checked)
    checked.loc[0, ["late_gain", "converged"]] = [0.03, False]
    checked.loc[1, ["late_gain", "converged"]] = [float("nan"), False]
    checked.loc[2, "delta_err"] = -0.02
    checked.loc[3, ["dataset", "err"]] = ["digits", 0.88]  # chance on ten classes
    text = summary_markdown(boundary, coverage, gaps=checked)
    first, second = checked.iloc[0], checked.iloc[1]
    assert "**Warning:** 2 of 80 evaluations" in text
    assert f"k = {first.ipc} seed {first.seed} under {first.config} (+0.030 over the last quarter)" in text
    assert f"k = {second.ipc} seed {second.seed} under {second.config} (no check: too few epochs)" in text
    assert "**Warning:** 1 Δ are negative" in text and "(−0.02)" in text
    assert "**Warning:** 1 evaluations trained to chance accuracy" in text
    assert "digits/m k = 2 seed 1 under c0 (test error 0.88)" in text


def test_summary_numbers_carry_at_most_three_significant_digits():
    gaps = gaps_table()
    _, _, coverage, boundary = laws(gaps, target=0.2)
    text = summary_markdown(boundary, coverage, references=reference_convergence(reference_rows(gaps), 0.005))
    decimals = re.findall(r"\d+\.\d+", text)
    assert decimals
    assert all(len(d.replace(".", "").lstrip("0")) <= 3 for d in decimals), decimals


def test_a_floor_whose_interval_reaches_zero_is_not_stated_as_a_floor():
    _, _, coverage, boundary = laws(gaps_table(floor=0.03))
    assert boundary.iloc[0]["eps_bound_ci_low"] > 0
    assert "the gap that more distilled images do not remove" in summary_markdown(boundary, coverage)
    _, _, coverage, boundary = laws(gaps_table(floor=0.0005, noise=0.02, seed=3))
    row = boundary.iloc[0]
    assert row["eps_bound_ci_low"] == 0 and row["eps_bound"] > 0 and row["eps_bound_ci_kind"] == "upper bound"
    text = summary_markdown(boundary, coverage)
    assert f"upper 95% bound {row['eps_bound_ci_high']:.3g}" in text
    assert "the data do not show a floor above 0" in text and "95% CI 0 to" not in text


def test_summary_names_the_chosen_shape_and_gives_the_others_as_sensitivity():
    gaps = gaps_table()
    k = gaps["ipc"].to_numpy(float)
    gaps["delta_err"] = 0.03 + 0.5 / k + 0.004 * (gaps["seed"] - 0.5)  # bends in 1/√k: the hinge test fires too
    _, _, coverage, boundary = laws(gaps)
    row = boundary.iloc[0]
    assert row["chosen"] == "free exponent" and row["saturated"] and math.isnan(row["k_sat"])
    text = summary_markdown(boundary, coverage)
    assert "- **Model:** the free exponent" in text and "free exponent 100%" in text
    assert "the gap stops falling" not in text
    assert "the chosen free exponent falls at every k. Sensitivity: hinge" in text
    assert (f"- **Sensitivity:** the line's floor {row['eps_bound_line']:.3g}, the free exponent's floor "
            f"{row['eps_bound']:.3g}") in text


def test_the_whole_family_k_is_the_planners_one_k_per_target_not_two():
    from ddlaws.laws.planner import planner_table

    gaps = gaps_table()
    scaling, required, coverage, _ = laws(gaps, target=0.2)
    planner = planner_table(gaps, [0.2, 0.1], resamples=200)
    boundary = boundary_table(scaling, required, 0.01, coverage, None, planner)
    row, planned = boundary.iloc[0], planner[planner["target_gap"] == 0.2].iloc[0]
    raw = required[required["m"] == 4].iloc[0]["k_required"]
    assert row["k_target"] == planned["k_required"] != raw  # bias-corrected, not the raw worst Δ's curve
    assert (row["k_target_ci_low"], row["k_target_ci_high"]) == (planned["k_ci_low"], planned["k_ci_high"])
    assert row["k_target_reading"] == planned["reading"] and row["k_target_status"] == planned["k_status"]
    text = summary_markdown(boundary, coverage, planner=planner)
    whole = next(line for line in text.splitlines() if line.startswith("- **Whole family:**"))
    assert f"≤ 0.2: k ≥ {int(planned['k_whole'])} ({planned['k_required']:.3g}, interval" in whole
    assert "as the Planner below reads it" in whole
    assert whole.split("≤ 0.2: ")[1].split(", as the")[0] in text.split("## Planner")[1]  # the same words there
    # without the target in the plan, the raw curve's k, said to be one
    boundary = boundary_table(scaling, required, 0.01, coverage, None, planner[planner["target_gap"] == 0.1])
    assert boundary.iloc[0]["k_target"] == raw
    assert "the planner does not plan this target" in summary_markdown(boundary, coverage)


def test_a_model_at_chance_is_flagged_for_a_dataset_the_catalog_lacks_where_the_table_gives_its_classes():
    from ddlaws.laws.gaps import at_chance

    gaps = gaps_table().assign(dataset="mine")
    gaps.loc[0, "err"] = 0.64  # chance on three classes is an error of 0.67
    assert not at_chance(gaps).any()  # no class count: never flagged
    flagged = at_chance(gaps.assign(classes=3))
    assert flagged.tolist() == [True] + [False] * (len(gaps) - 1)
    _, _, coverage, boundary = laws(gaps)
    text = summary_markdown(boundary, coverage, gaps=gaps.assign(classes=3))
    assert "**Warning:** 1 evaluations trained to chance accuracy" in text
