"""SUMMARY.md: the page a user reads first, the utility boundary as the results paragraph of a paper.

It says what Δ is and how each number was made, whether the full-data
references had converged, and then, per (dataset, method): the shape the
findings are read off (one for all of them, ``model_choice``), the floor with
its interval (or its upper bound, where the floor sits at 0), whether α = ½
fits, where the gap saturates, the size near the floor and the size for the
target over the whole family (each only where the fit was read inside the
measured k), the coverage coefficient with the family's entropy against log M,
and the improvement over random selection. The other shapes' floors, and the
hinge test where the hinge is not chosen, are given as sensitivity, never as
findings. Compact tables of the same numbers follow. Numbers carry three
significant digits.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import pandas as pd

from ..laws.gaps import at_chance
from ..laws.coverage_fit import ENTROPY_NAMES
from ..laws.model_choice import MODELS
from ..laws.scaling_fit import whole_k
from .tables import format_number, markdown_table

GAP_WORDS = {"error": "test-error", "loss": "test-loss"}
STATISTIC_WORDS = {"max": "worst", "mean": "mean"}
MODEL_WORDS = {"line": "the law's line Δ = ε + C/√k", "free exponent": "the free exponent Δ = ε + C·k^(−α)",
               "hinge": "the hinge Δ = ε + b·max(1/√k − 1/√k_sat, 0)"}
BOUNDARY_COLUMNS = ["dataset", "method", "chosen", "eps_bound", "eps_bound_ci_low", "eps_bound_ci_high",
                    "eps_bound_ci_kind", "alpha", "alpha_ci_low", "alpha_ci_high", "k_sat", "k_near_floor",
                    "k_near_floor_status", "k_target", "k_target_status", "eps_bound_line",
                    "eps_bound_free_exponent", "eps_bound_hinge"]
COVERAGE_COLUMNS = ["dataset", "method", "n_configs", "coverage_coef", "coverage_coef_ci_low",
                    "coverage_coef_ci_high", "r2_two_term", "r2", "entropy", "log_m", "effective_number"]
REFERENCE_COLUMNS = ["dataset", "config", "epochs", "test_acc", "check_epoch", "late_gain", "converged"]


def _n(value: float) -> str:
    return format_number(float(value), 3)


def _ci(record, name: str, confidence: float) -> str:
    """The interval of field ``name`` of a table row, from its _ci_low and _ci_high columns."""
    low, high = getattr(record, name + "_ci_low"), getattr(record, name + "_ci_high")
    if math.isnan(low) or math.isnan(high):
        return "no interval: too few independent units"
    return f"{confidence:.0%} CI {_n(low)} to {_n(high)}"


def _measured(row) -> str:
    levels = [int(v) for v in str(row.ipcs).split()]
    return f"k = {min(levels)}–{max(levels)}" if len(levels) > 1 else f"k = {levels[0]}"


def _minus(text: str) -> str:
    """``text`` with a minus sign (−) before each negative number; the hyphens of names (mlp-sgd-none, k-level)
    kept."""
    return re.sub(r"(?<![\w.])-(?=\d|\.\d)", "−", text)


def _size(row, name: str) -> str | None:
    """``k ≥ …`` for a k read off a fit inside the measured range; None for one that is not a finding."""
    k, status = getattr(row, name), getattr(row, name + "_status")
    if status in ("measured", "interpolated"):
        return f"k ≥ {whole_k(k):,} ({status}, within the measured {_measured(row)})"
    if status == "below_measured":
        smallest = min(int(v) for v in str(row.ipcs).split())
        return (f"the smallest measured k = {smallest:,} already (the fitted curve puts it at {_n(k)}, below the "
                "measured range: not a finding)")
    return None


def _past_the_data(row, name: str) -> str:
    """Why a k read off a fit is no finding: past the measured k, or past the images the dataset has."""
    if getattr(row, name + "_status") == "beyond_dataset":
        return (f"only at more than the {int(row.train_per_class):,} images per class that {row.dataset} has, "
                "on the fitted curve far past the data: not a finding")
    return (f"only beyond the measured range (k > {max(int(v) for v in str(row.ipcs).split())}), on the fitted "
            "curve: not a finding")


def _model(row) -> str:
    """The shape every number below is read off, why, and how often the resamples chose each."""
    aiccs = {m: getattr(row, f"aicc_{m.replace(' ', '_')}") for m in MODELS}
    shares = {m: getattr(row, f"chosen_share_{m.replace(' ', '_')}") for m in MODELS}
    text = f"{MODEL_WORDS[row.chosen]}; every number below is read off it."
    if row.chosen != "line":
        text += f" Its AICc is {_n(aiccs['line'] - aiccs[row.chosen])} below the line's"
    elif any(math.isfinite(aiccs[m]) for m in MODELS[1:]):
        text += " No other shape's AICc is 2 or more below the line's"
    else:
        text += " Too few points or k for a shape with more parameters"
    text += " (the rule: the line, unless a 3-parameter shape is lower by 2 or more)."
    if all(math.isfinite(share) for share in shares.values()):
        text += (f" Each bootstrap resample over {row.bootstrap_unit} chose again: "
                 + ", ".join(f"{m} {share:.0%}" for m, share in shares.items()) + ".")
    return text


def _held(row) -> str:
    """What the interval holds fixed that a rerun of the method would change, where it holds anything."""
    fixed = getattr(row, "interval_holds_fixed", "")
    return f", holding fixed {fixed}" if isinstance(fixed, str) and fixed not in ("", "nothing") else ""


def _floor(row, confidence: float) -> str:
    kind = row.eps_bound_ci_kind
    if kind == "at bound":
        text = f"ε_bound = 0, at its bound in every bootstrap resample over {row.bootstrap_unit}{_held(row)}"
    elif kind == "upper bound":
        text = (f"ε_bound = {_n(row.eps_bound)}, upper {confidence:.0%} bound {_n(row.eps_bound_ci_high)} (over "
                f"{row.bootstrap_unit}{_held(row)}; the floor sits at its bound 0 in the lower tail of the resamples, "
                "so its interval runs from the bound and says only how high it can be)")
    else:
        text = (f"ε_bound = {_n(row.eps_bound)} ({_ci(row, 'eps_bound', confidence)}, over {row.bootstrap_unit}"
                f"{_held(row)})")
    if row.chosen == "line" and row.ols_intercept < 0:
        line_ci = f"HC3 {confidence:.0%} CI {_n(row.hc3_intercept_ci_low)} to {_n(row.hc3_intercept_ci_high)}"
        exponent = (f" (the free exponent: α = {_n(row.alpha_free_exponent)})"
                    if math.isfinite(row.alpha_free_exponent) else "")
        return _minus(text + f". The unconstrained line's intercept is {_n(row.ols_intercept)} ({line_ci}): over "
                      f"the measured {_measured(row)} the gap falls faster than 1/√k{exponent}, so the floor "
                      "sits at its bound and the data show no floor above it.")
    if kind in ("upper bound", "at bound"):
        return text + ": the data do not show a floor above 0."
    if kind == "two-sided" and row.eps_bound_ci_low > 0:
        return text + ", the gap that more distilled images do not remove."
    return text + "."


def _exponent(row, confidence: float) -> str:
    if row.chosen == "free exponent" and math.isnan(row.alpha_ci_low):
        return f"α = {_n(row.alpha)} ({_ci(row, 'alpha', confidence)}), so whether the law's α = ½ fits is not tested."
    if row.chosen == "free exponent":
        inside = row.alpha_ci_low <= 0.5 <= row.alpha_ci_high
        pace = "" if inside else f" the gap falls {'faster' if row.alpha_ci_low > 0.5 else 'slower'} than 1/√k, and"
        return (f"α = {_n(row.alpha)} ({_ci(row, 'alpha', confidence)}, each resample choosing its shape):{pace} "
                f"the law's α = ½ is {'consistent' if inside else 'not consistent'} with the data.")
    text = f"the chosen {row.chosen} has the law's α = ½"
    if math.isnan(row.alpha_ci_low):
        return text + "."
    if row.alpha_ci_low == row.alpha_ci_high:
        return text + ", as has the shape every bootstrap resample chose."
    return (text + f"; with each resample choosing its shape, α lies in {_n(row.alpha_ci_low)} to "
            f"{_n(row.alpha_ci_high)} ({confidence:.0%}).")


def _hinge_test(row) -> str:
    if math.isnan(row.saturation_pvalue):
        return "too few distinct k to test for a floor"
    return f"hinge against line, p = {_n(row.saturation_pvalue)}"


def _saturation(row) -> str:
    if row.chosen == "hinge":
        return (f"the gap stops falling at k = {int(row.k_sat)}, at ε_bound = {_n(row.eps_bound)} "
                f"(the chosen hinge; {_hinge_test(row)}).")
    flat = f", a hinge flat from k = {int(row.k_sat_hinge)}" if row.saturated else ""
    return f"the chosen {row.chosen} falls at every k. Sensitivity: {_hinge_test(row)}{flat}."


def _sensitivity(row) -> str:
    """The other shapes' floors, for how much the floor hangs on the choice."""
    parts = []
    for model, floor, detail in (("line", row.eps_bound_line, ""),
                                 ("free exponent", row.eps_bound_free_exponent,
                                  f" (α = {_n(row.alpha_free_exponent)})"),
                                 ("hinge", row.eps_bound_hinge, f" (flat from k = {row.k_sat_hinge:g})")):
        parts.append(f"the {model}'s floor {_n(floor)}{detail}" if math.isfinite(floor)
                     else f"the {model}: too few k to fit")
    return ", ".join(parts) + "."


def _near_floor(row) -> str:
    if row.k_near_floor_status == "none":
        return "the chosen curve does not fall with k, so no size brings it nearer ε_bound."
    size = _size(row, "k_near_floor")
    where = f"at {size}" if size else _past_the_data(row, "k_near_floor")
    return f"the chosen curve comes within {_n(row.tolerance)} of ε_bound {where}."


def _target(row, fit) -> str:
    if fit is None or not isinstance(row.target_status, str):
        return "no coverage fit for this method."
    n_configs = int(row.n_configs)
    over = f"gap over all {n_configs} configuration{'s' * (n_configs != 1)}"
    if isinstance(getattr(row, "k_target_reading", None), str):  # the planner's k, as its section reads it
        planned = SimpleNamespace(
            target_gap=row.target_gap, reading=row.k_target_reading, target_status=row.target_status,
            k_required=row.k_target, k_whole=whole_k(row.k_target) if math.isfinite(row.k_target) else math.nan,
            k_ci_low=row.k_target_ci_low, k_ci_high=row.k_target_ci_high, k_status=row.k_target_status,
            train_per_class=row.train_per_class, dataset=row.dataset, k_measured=row.k_target_measured)
        return f"{_planned(planned, f'the {STATISTIC_WORDS[fit.statistic]} {over}')}, as the Planner below reads it."
    family = f"keeping the {STATISTIC_WORDS[fit.statistic]} {over} below {_n(row.target_gap)}"
    raw = " (on the raw worst Δ, biased up as a max of noisy gaps: the planner does not plan this target)"
    if row.target_status == "reachable":
        size = _size(row, "k_target")
        return f"{family} needs {size}{raw}." if size else f"{family} is reached {_past_the_data(row, 'k_target')}."
    return f"{family} is out of reach on the fitted curve ({row.target_status})."


def _coverage(row, fit, confidence: float) -> str:
    if fit is None or math.isnan(fit.coverage_coef):
        return "not fitted: too few configurations or k."
    entropy = ENTROPY_NAMES[fit.x_form]
    text = (f"Y = a + b/√k + c·√({entropy})/√k gives c = {_n(fit.coverage_coef)} "
            f"({_ci(fit, 'coverage_coef', confidence)}{_held(fit)}), R² {_n(fit.r2_two_term)} against {_n(fit.r2)} "
            "for the "
            f"one-term fit (F-test for the 1/√k term: p = {_n(fit.two_term_pvalue)}).")
    if not math.isnan(fit.entropy):
        text += (f" From the gap profiles the family holds {int(fit.covering_number)} distinct configurations at "
                 f"radius {_n(fit.entropy_radius)} (H = {_n(fit.entropy)} against log M = {_n(fit.log_m)}; "
                 f"effective number {_n(fit.effective_number)}; eval-seed noise is {fit.noise_share:.0%} of the "
                 f"profiles' variance); with each subset's H in place of log m, R² is {_n(fit.r2_two_term_entropy)}.")
    if not math.isnan(fit.required_slope):
        text += (f" The target is reached inside the measured k for every m, and the k it needs grows by "
                 f"{_n(fit.required_slope)} ({_ci(fit, 'required_slope', confidence)}) per unit of {entropy}.")
    elif fit.required_outside > 0:
        text += (f" How the k the target needs grows with {entropy} is not fitted: for {int(fit.required_outside)} "
                 "of the m that reach it, that k lies outside the measured range.")
    return text


def _ior(ior: pd.DataFrame | None, dataset: str, method: str) -> str | None:
    if ior is None or method == "random":
        return None
    rows = ior[(ior["dataset"] == dataset) & (ior["method"] == method)].dropna(subset=["ior"])
    if not len(rows):
        return None
    parts = ", ".join(f"k = {int(r.ipc)}: {r.ior:+.3f}" for r in rows.itertuples())
    return f"mean test-accuracy gain over random images at the same k and configuration (IOR): {parts}."


def _change(row, name: str, confidence: float) -> str:
    """Pool minus plain of one statistic, with its interval and what it says."""
    diff, low, high = row[f"{name}_diff"], row[f"{name}_diff_ci_low"], row[f"{name}_diff_ci_high"]
    if math.isnan(diff):
        return "not measured"
    if math.isnan(low):
        verdict = "no interval"
    elif high < 0:
        verdict = "lower with pooling"
    elif low > 0:
        verdict = "higher with pooling"
    else:
        verdict = "no change the data can tell from noise"
    ci = "" if math.isnan(low) else f", {confidence:.0%} CI {_n(low)} to {_n(high)}"
    return f"{_n(diff)}{ci}: {verdict}"


def _robustness(robustness: pd.DataFrame | None, confidence: float) -> list[str]:
    if robustness is None or not len(robustness):
        return []
    lines = ["## Configuration-robust distillation", "",
             "Each pool variant against its plain method, pool minus plain, averaged over the measured k:", ""]
    for row in robustness[robustness["ipc"] == 0].to_dict("records"):
        out_of_pool = row["out_of_pool"] if isinstance(row["out_of_pool"], str) else ""  # "" reads back as NaN
        outside = (f"; over the configurations outside its pool ({out_of_pool.replace(' ', ', ')}): "
                   f"{_change(row, 'worst_out_of_pool', confidence)}" if out_of_pool else
                   "; every configuration of the family is inside its pool")
        lines.append(f"- **{row['dataset']} · {row['pool_variant']}** against {row['method']}: the worst Δ over "
                     f"the family {_change(row, 'worst', confidence)}{outside}; the coverage coefficient c "
                     f"{_change(row, 'coverage_coef', confidence)}.")
    return lines + [""]


COMPARED_WORDS = {"eps_line": "floor ε of the line", "c_line": "C of the line", "alpha_free": "free exponent α",
                  "coverage_coef": "coverage coefficient c", "worst": "worst Δ over the family (mean over k)",
                  "mean_ior": "mean IOR (mean over k)"}


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {_n(value)}"


def _curves(row) -> str:
    """The heterogeneity verdict of one method: one curve for every configuration, or curves that differ."""
    if math.isnan(row.statistic):
        return "not tested: it needs two configurations and four k."
    spread = (f"per configuration C runs from {_n(row.separate_c_min)} to {_n(row.separate_c_max)} and α from "
              f"{_n(row.separate_alpha_min)} to {_n(row.separate_alpha_max)}, against C = {_n(row.common_c)}, "
              f"α = {_n(row.common_alpha)} for all")
    if math.isnan(row.pvalue):
        return f"no test: too few independent units ({spread})."
    test = f"bootstrap {_p(row.pvalue)} over {row.bootstrap_unit}"
    if row.differ:
        return f"the configurations' curves differ ({test}): {spread}."
    return f"one curve (common C and α) fits every configuration, no difference the data can tell ({test}; {spread})."


def _comparisons(comparisons: pd.DataFrame | None, heterogeneity: pd.DataFrame | None,
                 confidence: float) -> list[str]:
    """The pairs of methods that differ, by how much; the rest in one line; then one curve per method or not."""
    lines = []
    overall = comparisons[comparisons["ipc"] == 0] if comparisons is not None and len(comparisons) else None
    if overall is not None and len(overall):
        lines += ["## Comparisons", "",
                  f"Method a − method b, at the configurations and k both have, with {confidence:.0%} bootstrap "
                  "intervals; p-values are Holm-adjusted over every pair × the statistics named here, per dataset "
                  "and label regime (the differences at each k, adjusted over every pair × k, are in "
                  f"`laws/comparisons.csv`). Differences at adjusted p < {1 - confidence:.2g}:",
                  ""]
        alike = []
        for (dataset, regime, a, b), rows in overall.groupby(["dataset", "label_regime", "method_a", "method_b"],
                                                             sort=True):
            name = f"{dataset}{' (soft labels)' if regime == 'soft' else ''} · {a} − {b}"
            found = [f"{COMPARED_WORDS.get(r.statistic, r.statistic)} {_n(r.diff)} ({_ci(r, 'diff', confidence)}, "
                     f"Holm {_p(r.pvalue_holm)})" for r in rows.itertuples() if r.differs]
            if found:
                lines.append(f"- **{name}**: " + "; ".join(found) + ".")
            else:
                alike.append(name)
        if len(alike) == overall.groupby(["dataset", "label_regime", "method_a", "method_b"]).ngroups:
            lines.append("- none.")
        if alike:
            lines.append(f"- No difference the data can tell: {', '.join(alike)}.")
        lines.append("")
    if heterogeneity is not None and len(heterogeneity):
        lines += ["## One curve for every configuration?", ""]
        for row in heterogeneity.itertuples(index=False):
            soft = " (soft labels)" if row.label_regime == "soft" else ""
            lines.append(f"- **{row.dataset} · {row.method}{soft}**: {_curves(row)}")
        lines.append("")
    return lines


LAW_WORDS = {"scaling": "scaling law", "worst": "worst Δ over the family, Y = a + b/√k",
             "coverage": "coverage law"}


def _inside(count: float, total: float) -> str:
    return f"{int(count)} of {int(total)} inside their intervals"


def _held_out_record(summary, rows) -> str:
    """The mean absolute error and coverage of one (law, model)'s predictions, and its largest k left out."""
    if summary.n_intervals == 0:
        return f"mean absolute error {_n(summary.mean_abs_error)} (no intervals: too few independent units)"
    text = (f"mean absolute error {_n(summary.mean_abs_error)}, "
            f"{_inside(summary.n_intervals - summary.misses, summary.n_intervals)}")
    headline = rows[rows["headline"].astype(bool)]
    if len(headline):
        h = headline.iloc[0]
        where = "inside" if h.inside is True or h.inside == 1 else "outside"
        text += (f"; the largest k = {int(h.ipc)} left out: predicted {_n(h.predicted)} ({_n(h.pi_low)} to "
                 f"{_n(h.pi_high)}), measured {_n(h.measured)}, {where}")
    return text


def _predictions(prediction: pd.DataFrame | None, confidence: float) -> list[str]:
    """Does each law predict what was not used to fit it? Plainly where it does not."""
    if prediction is None or not len(prediction):
        return []
    lines = ["## Does the law predict?", "",
             "Each law is fitted without some of its points and asked for them (`laws/prediction.csv`): the pooled "
             "scaling law and the worst-Δ curve with each k left out in turn, the coverage law fitted on the "
             "subsets of m ≤ M/2 configurations for the worst Δ over all M. Prediction intervals are "
             f"{confidence:.0%} and carry the fit's uncertainty and the noise of a new measurement, from the units "
             "the other intervals redraw. A law **does not predict** where more measurements fall outside their "
             f"intervals than calibrated intervals make likely (binomial tail below {1 - confidence:.2g}).", ""]
    summary = prediction[prediction["ipc"] == 0]
    per_k = prediction[prediction["ipc"] > 0]
    fails = summary["predicts"].astype(str) == "False"
    for (dataset, method, regime), group in summary[summary["law"] != "across methods"].groupby(
            ["dataset", "method", "label_regime"], sort=True):
        mine = per_k[(per_k["dataset"] == dataset) & (per_k["method"] == method)
                     & (per_k["label_regime"] == regime)]
        parts = []
        for row in group.itertuples(index=False):
            if row.law == "scaling" and row.model != "chosen":
                continue
            rows = mine[(mine["law"] == row.law) & (mine["model"] == row.model)]
            name = LAW_WORDS[row.law] + (" (the shape chosen in each fit)" if row.law == "scaling" else "")
            if row.law == "coverage":
                name += f" fitted on m ≤ {int(row.m) // 2}, for the worst over {int(row.m)} at each k"
            verdict = " — **does not predict**" if str(row.predicts) == "False" else ""
            parts.append(f"{name}: {_held_out_record(row, rows)}{verdict}")
        failed = [row.model for row in group.itertuples(index=False)
                  if row.law == "scaling" and row.model != "chosen" and str(row.predicts) == "False"]
        soft = " (soft labels)" if regime == "soft" else ""
        text = f"- **{dataset} · {method}{soft}**: " + "; ".join(parts) + "."
        if failed:
            text += " Shapes that do not predict the k left out: " + ", ".join(failed) + "."
        lines.append(text)
    across = summary[summary["law"] == "across methods"]
    if len(across):
        known = across[across["n_intervals"] > 0]
        inside = (known["n_intervals"] - known["misses"]).sum()
        failed = [f"{r.source_method} → {r.method}" for r in across[fails.loc[across.index]].itertuples()]
        lines.append(f"- **Across methods** (one method's free exponent α with another's own floor and C, each k "
                     f"of the other left out in turn): {_inside(inside, known['n_intervals'].sum())}. "
                     + ("Where the exponent does not carry over: " + ", ".join(failed) + "." if failed
                        else "Every method's exponent predicts every other's Δ within the intervals."))
    return lines + [""]


READINGS = {"finding": "a finding", "prediction": "a prediction of the fitted curve, not a finding"}


def _planned(row, subject: str = "gap") -> str:
    """One target's planned k, its interval and what it is."""
    if row.reading == "none":
        return f"{subject} ≤ {_n(row.target_gap)}: out of reach on the fitted curve ({row.target_status})"
    high = "∞" if not math.isfinite(row.k_ci_high) else f"{_n(row.k_ci_high)}"
    interval = "" if math.isnan(row.k_ci_low) else f", interval {_n(row.k_ci_low)} to {high}"
    where = {"beyond_dataset": f"beyond the {_n(row.train_per_class)} images per class {row.dataset} has",
             "beyond_measured": "beyond the measured k", "below_measured": "below the measured k"}.get(
        row.k_status, row.k_status)
    measured = ("the measured worst Δ reaches it at no measured k" if math.isnan(row.k_measured) else
                f"the measured worst Δ reaches it at k = {int(row.k_measured)}")
    return f"{subject} ≤ {_n(row.target_gap)}: k ≥ {int(row.k_whole):,} ({_n(row.k_required)}{interval}; {where}: " \
           f"{READINGS[row.reading]}; {measured})"


def _planner(planner: pd.DataFrame | None, confidence: float) -> list[str]:
    """The planned sizes per method, each labelled a finding or a prediction, with the curve's held-out error."""
    if planner is None or not len(planner):
        return []
    family = planner["family"].iloc[0]
    over = "the whole family" if family == "all" else f"the configurations {family.replace(' ', ', ')}"
    lines = ["## Planner: the k for a target gap", "",
             f"The k at which the worst Δ over {over} comes down to each target (`laws/planner.csv`), read off "
             f"Y = a + b/√k fitted to the measured k, with the {confidence:.0%} percentile interval of the k over "
             "the resamples (∞: too many never reach it). Only a k inside the measured range, read off a curve that "
             "predicts the measured k it is not fitted on, is a finding; the rest are predictions of the curve, "
             "and beside them stands how well that curve predicted each measured k left out. Beside them, the "
             "first measured k whose worst Δ as measured is at or below the target: no curve, and a cautious "
             "reading, as a max of noisy gaps is biased up (the curve is fitted to bias-corrected ones).", ""]
    for (dataset, method, regime), rows in planner.groupby(["dataset", "method", "label_regime"], sort=True):
        first = rows.iloc[0]
        soft = " (soft labels)" if regime == "soft" else ""
        text = f"- **{dataset} · {method}{soft}**: " + "; ".join(_planned(r) for r in rows.itertuples()) + "."
        if first["oos_n"] > 0 and (rows["reading"] == "prediction").any():
            share = first["oos_inside_share"]
            inside = "no intervals" if math.isnan(share) else _inside(share * first["oos_n"], first["oos_n"])
            text += (" Warning: left out in turn, this curve missed the measured k by "
                     f"{_n(first['oos_mean_abs_error'])} on average ({inside}; the largest k by "
                     f"{_n(first['oos_headline_error'])})")
            text += ", and it does not predict them." if str(first["oos_predicts"]) == "False" else "."
        lines.append(text)
    return lines + [""]


def _how(boundary: pd.DataFrame, coverage: pd.DataFrame, confidence: float) -> str:
    """What Δ is and how each law was fitted."""
    gap = boundary["gap"].iloc[0]
    text = (f"Δ is the {GAP_WORDS[gap]} gap: the test {gap} of a model trained on the distilled set minus that of "
            "the same training configuration trained on the full training set, each the mean over evaluation seeds; "
            "k is the number of distilled images per class. The scaling law Δ = ε_bound + C/√k, the same with a "
            "free exponent α, and a hinge that stops falling at a breakpoint are fitted with the floor held at "
            "ε_bound ≥ 0 on the points of all configurations together; the findings of each method are read off "
            "one of them, chosen by AICc: the law's line, unless another is lower by 2 or more.")
    if len(coverage):
        fit = coverage.iloc[0]
        text += (f" The coverage law takes the {STATISTIC_WORDS[fit['statistic']]} Δ within subsets of m "
                 f"configurations, averages it over up to {fit['subsets']} subsets at each (k, m), and fits that "
                 "mean with a single-configuration term b/√k and a coverage term c·√H/√k.")
    return text + (f" Intervals are {confidence:.0%} bootstrap intervals over what a rerun of the method would "
                   "change: the distilled sets (with one set per k, its effect on all its configurations, estimated "
                   "from the k-level residuals) and the eval seeds, crossed with the configurations for the pooled "
                   "scaling law; the coverage coefficient and the worst Δ over configurations are bias-corrected, as "
                   "a maximum of noisy gaps, and a fit to one, is biased upwards. A size read off a fitted curve "
                   "is given as a finding only inside the measured range of k.")


def _late_gain(gain: float) -> str:
    return "no check: too few epochs" if math.isnan(gain) else f"+{gain:.3f} over the last quarter"


def _evaluations(gaps: pd.DataFrame | None, tolerance: float) -> list[str]:
    """Whether every distilled set's models converged, and every Δ that is negative."""
    if gaps is None or not len(gaps):
        return []
    lines = ["## Evaluations", ""]
    if "converged" not in gaps:
        lines += ["The accuracies came without learning curves, so whether each model had converged is not checked: "
                  "a distilled set's model still improving makes its Δ too large, a reference still improving every "
                  "Δ of its configuration too small.", ""]
        stale = gaps.iloc[:0]
    else:
        stale = gaps[~gaps["converged"].astype(bool)]
    if len(stale):
        shown = ", ".join(f"{r.dataset}/{r.method} k = {r.ipc} seed {r.seed} under {r.config} "
                          f"({_late_gain(r.late_gain)})" for r in stale.head(12).itertuples())
        more = f", and {len(stale) - 12} more" if len(stale) > 12 else ""
        lines += [f"**Warning:** {len(stale)} of {len(gaps)} evaluations (a distilled set under a configuration) "
                  f"had not converged: {shown}{more}. Their Δ are too large; raise `evaluation.epochs`, "
                  "`evaluation.min_steps` or `evaluation.extensions`.", ""]
    elif "converged" in gaps:
        lines += [f"Every one of the {len(gaps)} evaluations (a distilled set under a configuration) converged: its "
                  f"mean test accuracy rose by at most {_n(tolerance)} over the last quarter of its epochs.", ""]
    extended = gaps[gaps["extensions"] > 0] if "extensions" in gaps else gaps.iloc[:0]
    if len(extended):
        shown = ", ".join(f"{r.dataset}/{r.method} k = {r.ipc} seed {r.seed} under {r.config} "
                          f"({r.extensions}×)" for r in extended.head(12).itertuples())
        more = f", and {len(extended) - 12} more" if len(extended) > 12 else ""
        lines += [f"{len(extended)} of the {len(gaps)} evaluations failed the check at first and were trained "
                  f"again for twice the epochs (`evaluation.extensions`): {shown}{more}.", ""]
    diverged = gaps[at_chance(gaps)]
    if len(diverged):
        shown = ", ".join(f"{r.dataset}/{r.method} k = {r.ipc} seed {r.seed} under {r.config} (test error "
                          f"{_n(r.err)})" for r in diverged.head(12).itertuples())
        lines += [f"**Warning:** {len(diverged)} evaluations trained to chance accuracy: {shown}. Their models "
                  "diverged (an lr too large for the set's images), stopped moving and so passed the convergence "
                  "check; their Δ are measured and in the laws, but they tell of the configuration's lr more than "
                  "of the images.", ""]
    negative = gaps[gaps["delta_err"] < 0]
    if len(negative):
        shown = _minus(", ".join(f"{r.dataset}/{r.method} k = {r.ipc} seed {r.seed} under {r.config} "
                                 f"({_n(r.delta_err)})" for r in negative.head(12).itertuples()))
        lines += [f"**Warning:** {len(negative)} Δ are negative, a distilled set beating the full data under its "
                  f"configuration: {shown}. That is a sign the configuration's reference has not converged.", ""]
    return lines


def _references(references: pd.DataFrame | None) -> list[str]:
    if references is None or not len(references):
        return []
    lines = ["## Full-data references", ""]
    stale = references[~references["converged"].astype(bool)]
    if len(stale):
        names = ", ".join(f"{r.dataset}/{r.config} ({_late_gain(r.late_gain)})" for r in stale.itertuples())
        lines += [f"**Warning:** {len(stale)} reference(s) had not converged at their last epoch: {names}. Their "
                  "Δ are too small; raise `evaluation.reference_epochs`.", ""]
    else:
        lines += [f"Every reference converged: its test accuracy rose by at most {_n(references['tolerance'].iloc[0])} "
                  "over the last quarter of its epochs.", ""]
    return lines + [markdown_table(references, REFERENCE_COLUMNS, 3)]


def limits_lines(limits: pd.DataFrame | None) -> list[str]:
    """The section on what the table's design cannot fit (``design_limits``), methods alike in it together;
    none where it lacks nothing."""
    lacking = limits[limits["cannot"].map(len) > 0] if limits is not None and len(limits) else []
    if not len(lacking):
        return []
    lines = ["## What this table can and cannot fit", "",
             "Every fit below is one its k, configurations, distilled sets and eval seeds allow; what they do not:", ""]
    alike = lacking.assign(cannot=lacking["cannot"].map(tuple))
    for (dataset, regime, ipcs, n_configs, n, cannot), rows in alike.groupby(
            ["dataset", "label_regime", "ipcs", "n_configs", "n", "cannot"], sort=False):
        soft = " (soft labels)" if regime == "soft" else ""
        each = " each" if len(rows) > 1 else ""
        lines.append(f"- **{dataset} · {', '.join(rows['method'])}{soft}** (k = {ipcs.replace(' ', ', ')}; "
                     f"{n_configs} configuration{'s' * (n_configs != 1)}; {n} points{each}):")
        lines += [f"  - {reason}" for reason in cannot]
    return lines + [""]


def findings_rst(markdown: str) -> str:
    """The findings of SUMMARY.md as reStructuredText, for the report's front page: its headings and bullets.

    The compact tables are left out (the report shows the tables themselves).
    """
    lines = []
    for line in markdown.splitlines():
        if line.startswith("## Boundary"):
            break
        if line.startswith("|"):
            continue
        if line.startswith("#"):
            title = line.lstrip("#").strip()
            lines += [title, ("=" if line.startswith("# ") else "-") * len(title)]
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def summary_markdown(boundary: pd.DataFrame, coverage: pd.DataFrame, confidence: float = 0.95,
                     references: pd.DataFrame | None = None, ior: pd.DataFrame | None = None,
                     robustness: pd.DataFrame | None = None, comparisons: pd.DataFrame | None = None,
                     heterogeneity: pd.DataFrame | None = None, gaps: pd.DataFrame | None = None,
                     convergence_tolerance: float = 0.005, limits: pd.DataFrame | None = None,
                     prediction: pd.DataFrame | None = None, planner: pd.DataFrame | None = None) -> str:
    """The Markdown text of SUMMARY.md from the boundary, coverage, reference, IOR, robustness, comparison,
    heterogeneity, gap, prediction and planner tables, and what the design cannot fit (``limits``)."""
    lines = ["# Utility boundary of dataset distillation", ""]
    if len(boundary):
        lines += [_how(boundary, coverage, confidence), ""]
    lines += limits_lines(limits)
    fits = {(fit.dataset, fit.method): fit for fit in coverage.itertuples(index=False)}
    for row in boundary.itertuples(index=False):
        fit = fits.get((row.dataset, row.method))
        lines += [
            f"## {row.dataset} · {row.method}" + (" (soft labels)" if row.label_regime == "soft" else ""),
            "",
            f"- **Model:** {_model(row)}",
            f"- **Floor:** {_floor(row, confidence)}",
            f"- **Exponent:** {_exponent(row, confidence)}",
            f"- **Saturation:** {_saturation(row)}",
            f"- **Near the floor:** {_near_floor(row)}",
            f"- **Sensitivity:** {_sensitivity(row)}",
            f"- **Whole family:** {_target(row, fit)}",
            f"- **Coverage:** {_coverage(row, fit, confidence)}",
        ]
        gain = _ior(ior, row.dataset, row.method)
        if gain:
            lines.append(f"- **Against random:** {gain}")
        lines.append("")
    lines += _robustness(robustness, confidence)
    lines += _comparisons(comparisons, heterogeneity, confidence)
    lines += _predictions(prediction, confidence)
    lines += _planner(planner, confidence)
    lines += _evaluations(gaps, convergence_tolerance)
    lines += _references(references)
    lines += ["## Boundary", "", markdown_table(boundary, BOUNDARY_COLUMNS, 3),
              "## Coverage law", "", markdown_table(coverage, [c for c in COVERAGE_COLUMNS if c in coverage], 3)]
    return "\n".join(lines)
