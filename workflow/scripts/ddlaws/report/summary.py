"""SUMMARY.md: the page a user reads first, the utility boundary as the results paragraph of a paper.

It says what Δ is and how each number was made, whether the full-data
references had converged, and then, per (dataset, method): the floor with its
interval, whether α = ½ fits, where the gap saturates, the size near the floor
and the size for the target over the whole family (each only where the fit
was read inside the measured k), the coverage coefficient with the family's
entropy against log M, and the improvement over random selection. Compact
tables of the same numbers follow. Numbers carry three significant digits.
"""

from __future__ import annotations

import math

import pandas as pd

from ..laws.coverage_fit import ENTROPY_NAMES
from ..laws.scaling_fit import whole_k
from .tables import format_number, markdown_table

GAP_WORDS = {"error": "test-error", "loss": "test-loss"}
STATISTIC_WORDS = {"max": "worst", "mean": "mean"}
MODEL_WORDS = {"line": "the law's line in 1/√k", "free exponent": "a free exponent α", "hinge": "a hinge (saturation)"}
BOUNDARY_COLUMNS = ["dataset", "method", "eps_bound", "eps_bound_ci_low", "eps_bound_ci_high", "ols_intercept",
                    "alpha", "alpha_ci_low", "alpha_ci_high", "preferred", "k_sat", "k_near_floor",
                    "k_near_floor_status", "k_target", "k_target_status"]
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


def _held(row) -> str:
    """What the interval holds fixed that a rerun of the method would change, where it holds anything."""
    fixed = getattr(row, "interval_holds_fixed", "")
    return f", holding fixed {fixed}" if isinstance(fixed, str) and fixed not in ("", "nothing") else ""


def _floor(row, confidence: float) -> str:
    if row.eps_bound == 0 and row.eps_bound_ci_high == 0:
        text = f"ε_bound = 0, at its bound in every bootstrap resample over {row.bootstrap_unit}{_held(row)}"
    else:
        text = (f"ε_bound = {_n(row.eps_bound)} ({_ci(row, 'eps_bound', confidence)}, over {row.bootstrap_unit}"
                f"{_held(row)})")
    if row.ols_intercept < 0:
        line_ci = f"HC3 {confidence:.0%} CI {_n(row.hc3_intercept_ci_low)} to {_n(row.hc3_intercept_ci_high)}"
        exponent = f" (α = {_n(row.alpha)})" if math.isfinite(row.alpha) else ""
        return (text + f". The unconstrained line's intercept is {_n(row.ols_intercept)} ({line_ci}): over the "
                f"measured {_measured(row)} the gap falls faster than 1/√k{exponent}, so the floor "
                "sits at its bound and the data show no floor above it.").replace("-", "−")
    if not row.eps_bound_ci_low > 0:
        return text + ": its interval reaches 0, so the data do not show a floor above 0."
    return text + ", the gap that more distilled images do not remove."


def _exponent(row, confidence: float) -> str:
    if math.isnan(row.alpha):
        return "too few distinct k to fit α."
    inside = row.alpha_ci_low <= 0.5 <= row.alpha_ci_high
    verdict = "consistent with the data" if inside else "not consistent with the data"
    return (f"Δ = ε + C·k^(−α) gives α = {_n(row.alpha)} ({_ci(row, 'alpha', confidence)}): the law's α = ½ is "
            f"{verdict}. By AIC the data prefer {MODEL_WORDS.get(row.preferred, row.preferred)}.")


def _saturation(row) -> str:
    if row.saturated:
        return (f"the gap stops falling at k = {int(row.k_sat)}, at {_n(row.floor)} "
                f"(hinge against line, p = {_n(row.saturation_pvalue)}).")
    if math.isnan(row.saturation_pvalue):
        return "too few distinct k to test for a floor."
    return f"no floor within the measured k (hinge against line, p = {_n(row.saturation_pvalue)})."


def _near_floor(row) -> str:
    if row.k_near_floor_status == "none":
        return "the fitted gap does not fall with k, so no size brings it nearer ε_bound."
    size = _size(row, "k_near_floor")
    where = f"at {size}" if size else _past_the_data(row, "k_near_floor")
    return f"the fitted curve comes within {_n(row.tolerance)} of ε_bound {where}."


def _target(row, fit) -> str:
    if fit is None or not isinstance(row.target_status, str):
        return "no coverage fit for this method."
    n_configs = int(row.n_configs)
    family = (f"keeping the {STATISTIC_WORDS[fit.statistic]} gap over all {n_configs} "
              f"configuration{'s' * (n_configs != 1)} below {_n(row.target_gap)}")
    if row.target_status == "reachable":
        size = _size(row, "k_target")
        return f"{family} needs {size}." if size else f"{family} is reached {_past_the_data(row, 'k_target')}."
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


def _how(boundary: pd.DataFrame, coverage: pd.DataFrame, confidence: float) -> str:
    """What Δ is and how each law was fitted."""
    gap = boundary["gap"].iloc[0]
    text = (f"Δ is the {GAP_WORDS[gap]} gap: the test {gap} of a model trained on the distilled set minus that of "
            "the same training configuration trained on the full training set, each the mean over evaluation seeds; "
            "k is the number of distilled images per class. The scaling law Δ = ε_bound + C/√k, and the same with a "
            "free exponent α, are fitted with the floor held at ε_bound ≥ 0 on the points of all configurations "
            "together.")
    if len(coverage):
        fit = coverage.iloc[0]
        text += (f" The coverage law takes the {STATISTIC_WORDS[fit['statistic']]} Δ within subsets of m "
                 f"configurations, averages it over up to {fit['subsets']} subsets at each (k, m), and fits that "
                 "mean with a single-configuration term b/√k and a coverage term c·√H/√k.")
    return text + (f" Intervals are {confidence:.0%} bootstrap intervals (expanded percentile) over the units that "
                   "are independent: configurations for the pooled scaling law, eval seeds (or distilled sets) for "
                   "the coverage coefficient of this family. A size read off a fitted curve is given as a finding "
                   "only inside the measured range of k.")


def _references(references: pd.DataFrame | None) -> list[str]:
    if references is None or not len(references):
        return []
    lines = ["## Full-data references", ""]
    stale = references[~references["converged"].astype(bool)]
    if len(stale):
        names = ", ".join(f"{r.dataset}/{r.config} (+{r.late_gain:.3f} over the last quarter)"
                          for r in stale.itertuples())
        lines += [f"**Warning:** {len(stale)} reference(s) were still improving at their last epoch: {names}. Their "
                  "Δ are too small; raise `evaluation.reference_epochs`.", ""]
    else:
        lines += [f"Every reference converged: its test accuracy rose by at most {_n(references['tolerance'].iloc[0])} "
                  "over the last quarter of its epochs.", ""]
    return lines + [markdown_table(references, REFERENCE_COLUMNS, 3)]


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
                     robustness: pd.DataFrame | None = None) -> str:
    """The Markdown text of SUMMARY.md from the boundary, coverage, reference, IOR and robustness tables."""
    lines = ["# Utility boundary of dataset distillation", ""]
    if len(boundary):
        lines += [_how(boundary, coverage, confidence), ""]
    fits = {(fit.dataset, fit.method): fit for fit in coverage.itertuples(index=False)}
    for row in boundary.itertuples(index=False):
        fit = fits.get((row.dataset, row.method))
        lines += [
            f"## {row.dataset} · {row.method}" + (" (soft labels)" if row.label_regime == "soft" else ""),
            "",
            f"- **Floor:** {_floor(row, confidence)}",
            f"- **Exponent:** {_exponent(row, confidence)}",
            f"- **Saturation:** {_saturation(row)}",
            f"- **Near the floor:** {_near_floor(row)}",
            f"- **Whole family:** {_target(row, fit)}",
            f"- **Coverage:** {_coverage(row, fit, confidence)}",
        ]
        gain = _ior(ior, row.dataset, row.method)
        if gain:
            lines.append(f"- **Against random:** {gain}")
        lines.append("")
    lines += _robustness(robustness, confidence)
    lines += _references(references)
    lines += ["## Boundary", "", markdown_table(boundary, BOUNDARY_COLUMNS, 3),
              "## Coverage law", "", markdown_table(coverage, [c for c in COVERAGE_COLUMNS if c in coverage], 3)]
    return "\n".join(lines)
